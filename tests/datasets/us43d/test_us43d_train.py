"""A US-43d built from fixtures trains with tools/train.py and is evaluated
per source with tools/test.py (tiny 256 px UltraSam config)."""
import json
import subprocess
import sys
from pathlib import Path

import ultrasam
from ultrasam.datasets.us43d import BuildSettings, Builder
from us43d_fixtures import brachial_plexus, busi, camus, thyroid_bundle

REPO = Path(ultrasam.__file__).resolve().parent.parent
CONFIG = REPO / 'configs' / 'ultrasam' / 'ultrasam_vitt_phantom.py'
TIMEOUT_S = 300


def _run(args) -> None:
    result = subprocess.run([sys.executable] + [str(a) for a in args],
                            cwd=REPO, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-5000:])


def test_built_corpus_trains_and_evaluates_per_source(tmp_path):
    raw, out = tmp_path / 'raw', tmp_path / 'us43d'
    for make in (brachial_plexus, busi, camus, thyroid_bundle):
        make(raw)
    names = ('brachial plexus', 'BUSI', 'CAMUS', 'TN3K')
    Builder(str(raw), str(out), BuildSettings(datasets=names),
            log=lambda line: None, progress=False).run()
    test_sources = {img['source'] for img in json.loads(
        (out / 'annotations' / 'test.json').read_text())['images']}
    assert len(test_sources) >= 3

    work_dir = tmp_path / 'work'
    _run(['tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
          f'train_dataloader.dataset.data_root={out}/',
          'train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
          'default_hooks.checkpoint.interval=2',
          'default_hooks.logger.interval=1'])
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()

    test_dir = tmp_path / 'test'
    _run(['tools/test.py', CONFIG, checkpoint, '--work-dir', test_dir,
          '--cfg-options', f'test_dataloader.dataset.data_root={out}/',
          'test_dataloader.dataset.ann_file=annotations/test.json'])
    [run_dir] = [p for p in test_dir.iterdir() if p.is_dir()]
    metrics = json.loads((run_dir / f'{run_dir.name}.json').read_text())
    for source in test_sources:
        assert f'prompt_seg/dice_src_{source}' in metrics, sorted(metrics)
