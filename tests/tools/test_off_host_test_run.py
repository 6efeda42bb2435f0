"""A full tools/test.py evaluation with off-host model outputs and samples.

The config swaps in ``OffHostUltraSam`` (tests/gpu/off_host.py): its data
samples and predictions refuse numpy conversion until ``.cpu()``, as CUDA
tensors do, so the run fails wherever the evaluation or the visualization
hook would fail on a GPU. Its metrics must equal a plain CPU run's.
"""
import json
from pathlib import Path

GPU_DOUBLE_DIR = Path(__file__).resolve().parents[1] / 'gpu'


def _metrics(work_dir: Path) -> dict:
    [run] = [p for p in work_dir.iterdir() if p.is_dir()]
    return json.loads((run / f'{run.name}.json').read_text())


def test_test_py_with_off_host_outputs(run_tool, tool_env, repo,
                                       phantom_config, phantom_root,
                                       init_checkpoint, tmp_path):
    options = [
        f'test_dataloader.dataset.data_root={phantom_root}/',
        'test_dataloader.dataset.ann_file=annotations/train.json'
    ]
    plain_dir, off_host_dir = tmp_path / 'plain', tmp_path / 'off_host'
    run_tool([
        tool_env['PYTHON'], repo / 'tools' / 'test.py', phantom_config,
        init_checkpoint, '--work-dir', plain_dir, '--cfg-options', *options
    ])
    env = dict(
        tool_env,
        PYTHONPATH=f'{GPU_DOUBLE_DIR}:{tool_env.get("PYTHONPATH", "")}')
    # custom_imports are imported when the file is read, so not through
    # --cfg-options: a config inherits the phantom one.
    off_host_config = tmp_path / 'off_host_config.py'
    off_host_config.write_text(
        f'_base_ = [{str(phantom_config)!r}]\n'
        "custom_imports = dict(imports=['ultrasam', 'off_host'], "
        'allow_failed_imports=False)\n'
        "model = dict(type='OffHostUltraSam')\n")
    run_tool([
        tool_env['PYTHON'], repo / 'tools' / 'test.py', off_host_config,
        init_checkpoint, '--work-dir', off_host_dir, '--show-dir', 'vis',
        '--cfg-options', *options
    ], env=env)

    plain, off_host = _metrics(plain_dir), _metrics(off_host_dir)
    assert 'prompt_seg/dice' in off_host and 'coco/segm_mAP' in off_host
    for key, value in plain.items():
        if key.startswith(('prompt_seg/', 'coco/')):
            assert abs(off_host[key] - value) <= 1e-6, (key, off_host[key])
    assert len(list(off_host_dir.glob('*/vis/*.png'))) == 16
