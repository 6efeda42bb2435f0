"""tools/dist_test.sh evaluates on 2 CPU processes exactly like tools/test.py.

The test pipeline is deterministic (interior point per instance) and MMEngine's
distributed evaluator gathers every rank's results before computing the
metrics, so splitting the images over two processes must not change a metric.
"""
import json
from pathlib import Path


def _metrics(work_dir: Path) -> dict:
    """Metrics tools/test.py wrote to ``work_dir/<timestamp>/<timestamp>.json``."""
    [run] = [p for p in work_dir.iterdir() if p.is_dir()]
    return json.loads((run / f'{run.name}.json').read_text())


def test_dist_test_matches_single_process(run_tool, tool_env, free_port, repo,
                                          phantom_config, phantom_root,
                                          init_checkpoint, tmp_path):
    # The fixture has no test split: evaluate on its 16 training images.
    options = [
        '--cfg-options', f'test_dataloader.dataset.data_root={phantom_root}/',
        'test_dataloader.dataset.ann_file=annotations/train.json'
    ]
    single_dir, dist_dir = tmp_path / 'single', tmp_path / 'dist'
    run_tool([
        tool_env['PYTHON'], repo / 'tools' / 'test.py', phantom_config,
        init_checkpoint, '--work-dir', single_dir, *options
    ])
    run_tool([
        repo / 'tools' / 'dist_test.sh', phantom_config, init_checkpoint, 2,
        '--work-dir', dist_dir, *options
    ], env=dict(tool_env, PORT=str(free_port)))

    single, dist = _metrics(single_dir), _metrics(dist_dir)
    assert 'prompt_seg/dice' in single and 'coco/segm_mAP' in single
    assert dist.keys() == single.keys()
    for key, value in single.items():
        if key.startswith(('prompt_seg/', 'coco/')):
            assert abs(dist[key] - value) <= 1e-6, (key, dist[key], value)
    dist_log = next(dist_dir.glob('*/*.log')).read_text()
    assert 'GPU number: 2' in dist_log
