"""A shortened quickstart loop runs end to end through the real entry points."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools' / 'demo' / 'quickstart.py'


def _load_script():
    spec = importlib.util.spec_from_file_location('quickstart', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_writes_summary_and_overlays(tmp_path):
    work_dir = tmp_path / 'demo'
    subprocess.run([
        sys.executable,
        str(SCRIPT), '--work-dir',
        str(work_dir), '--data-root',
        str(tmp_path / 'phantom'), '--num-train', '6', '--num-test', '2',
        '--max-iters', '3'
    ], check=True, cwd=REPO)

    summary = json.loads((work_dir / 'summary.json').read_text())
    for prompt in ('point', 'box'):
        assert 0.0 <= summary[f'{prompt}_dice'] <= 1.0
        assert 0.0 <= summary[f'{prompt}_iou'] <= summary[f'{prompt}_dice']
        overlays = list(Path(summary[f'{prompt}_overlays']).rglob('*.png'))
        assert len(overlays) == 2, overlays
    assert Path(summary['checkpoint']).name == 'iter_3.pth'
    assert summary['num_train'] == 6


def test_phantoms_are_reused_not_overwritten(tmp_path):
    quickstart = _load_script()
    data_root = tmp_path / 'phantom'
    assert quickstart.ensure_phantoms(data_root, 3, 1, seed=0) == 'generated'
    train_json = data_root / 'annotations' / 'train.json'
    before = train_json.stat().st_mtime_ns
    assert quickstart.ensure_phantoms(data_root, 3, 1, seed=0) == 'reused'
    assert train_json.stat().st_mtime_ns == before

    # Another seed or size would silently change the experiment: refuse.
    with pytest.raises(SystemExit, match='with seed 1 and'):
        quickstart.ensure_phantoms(data_root, 3, 1, seed=1)
    with pytest.raises(SystemExit, match='4 train images'):
        quickstart.ensure_phantoms(data_root, 4, 1, seed=0)
    assert train_json.stat().st_mtime_ns == before

    # A set written by another generator version has other pixels.
    coco = json.loads(train_json.read_text())
    coco['info']['generator_version'] = '0.9'
    train_json.write_text(json.dumps(coco))
    with pytest.raises(SystemExit, match='generator version'):
        quickstart.ensure_phantoms(data_root, 3, 1, seed=0)
    assert json.loads(train_json.read_text()) == coco
