"""build_us43d.py: listing, missing datasets, resuming, refusals, recipes."""
import importlib.util
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import ultrasam
from ultrasam.datasets.us43d import all_specs
from ultrasam.datasets.us43d.rawfs import RawReadError
from ultrasam.datasets.us43d.readers import load_npy
from us43d_fixtures import (bus, bus_bra, busi, camus, echonet_dynamic,
                            fast_u_net, thyroid_bundle)

REPO = Path(ultrasam.__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location(
    'build_us43d', REPO / 'tools' / 'dataset_converters' / 'build_us43d.py')
build_us43d = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(build_us43d)


def run(*args) -> None:
    build_us43d.main([str(a) for a in args] + ['--no-progress'])


def fail(*args) -> str:
    """The one-line error of a failing run."""
    with pytest.raises(SystemExit) as exit_info:
        run(*args)
    message = str(exit_info.value.code)
    assert message.startswith('build_us43d.py: error: ')
    return message


def coco(out: Path, split: str) -> dict:
    return json.loads((out / 'annotations' / f'{split}.json').read_text())


def test_list_shows_43_datasets(built, capsys):
    run('--raw-root', built.raw, '--list')
    text = capsys.readouterr().out
    assert '43 datasets, 43 found' in text
    for spec in all_specs():
        assert f'{spec.name} [{spec.anatomy}]: found' in text


def test_missing_dataset_resume_and_interruption(tmp_path, capsys):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    bus(raw)
    run('--raw-root', raw, '--out', out, '--datasets', 'BUS', 'CAMUS')
    text = capsys.readouterr().out
    assert f'CAMUS: not found: expected {raw}/CAMUS/' in text
    assert 'humanheart-project' in text and 'not built: 1 dataset(s): CAMUS' in text
    manifest = json.loads((out / 'manifest.json').read_text())
    assert manifest['datasets']['CAMUS']['status'] == 'missing'
    assert not manifest['complete']
    assert {img['source'] for s in ('train', 'val', 'test')
            for img in coco(out, s)['images']} == {'BUS'}

    camus(raw)  # downloaded later: the rerun adds it, BUS is reused
    run('--raw-root', raw, '--out', out, '--datasets', 'camus', 'BUS')
    text = capsys.readouterr().out
    assert 'BUS: already converted, reused' in text
    assert 'CAMUS: 9 files' in text
    assert json.loads((out / 'manifest.json').read_text())['complete']

    # An interrupted conversion leaves no part file: only CAMUS is redone.
    (out / 'parts' / 'CAMUS.json').unlink()
    run('--raw-root', raw, '--out', out, '--datasets', 'BUS', 'CAMUS')
    text = capsys.readouterr().out
    assert 'BUS: already converted' in text and 'CAMUS: 9 files' in text


def test_refusals(tmp_path):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    bus(raw)
    run('--raw-root', raw, '--out', out, '--datasets', 'BUS')
    assert 'other settings (seed=0)' in fail('--raw-root', raw, '--out', out,
                                             '--datasets', 'BUS', '--seed',
                                             '1')
    (raw / 'BUS' / 'extra.png').write_bytes(b'new input')
    assert 'BUS in' in fail('--raw-root', raw, '--out', out, '--datasets',
                            'BUS')
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'notes.txt').write_text('user data')
    assert 'not a US-43d build' in fail('--raw-root', raw, '--out', foreign,
                                        '--datasets', 'BUS')
    assert (foreign / 'notes.txt').read_text() == 'user data'
    assert 'overlap' in fail('--raw-root', raw, '--out', raw / 'out')
    assert "unknown dataset 'BUSX'" in fail('--raw-root', raw, '--out',
                                            tmp_path / 'x', '--datasets',
                                            'BUSX')
    manifest = json.loads((out / 'manifest.json').read_text())
    manifest['spec_version'] = '0.1'
    (out / 'manifest.json').write_text(json.dumps(manifest))
    (raw / 'BUS' / 'extra.png').unlink()
    assert 'spec version 0.1' in fail('--raw-root', raw, '--out', out,
                                      '--datasets', 'BUS')


def test_same_seed_same_split_with_any_worker_count(tmp_path):
    raw = tmp_path / 'raw'
    for make in (busi, camus, echonet_dynamic, thyroid_bundle):
        make(raw)
    names = ['BUSI', 'CAMUS', 'EchoNet-Dynamic', 'TG3K', 'TN3K']
    run('--raw-root', raw, '--out', tmp_path / 'one', '--datasets', *names)
    run('--raw-root', raw, '--out', tmp_path / 'two', '--datasets', *names,
        '--workers', '2')
    for split in ('train', 'val', 'test'):
        assert coco(tmp_path / 'one', split) == coco(tmp_path / 'two', split)


def test_original_recipe_and_leave_one_out(tmp_path):
    raw = tmp_path / 'raw'
    for make in (bus_bra, busi, thyroid_bundle):
        make(raw)
    out = tmp_path / 'original'
    run('--raw-root', raw, '--out', out, '--recipe', 'original',
        '--datasets', 'BUS-BRA', 'BUSI', 'TN3K')
    manifest = json.loads((out / 'manifest.json').read_text())
    assert manifest['settings']['ratios'] == [0.95, 0.05, 0.]
    splits = {n: d['splits'] for n, d in manifest['datasets'].items()}
    assert splits['BUS-BRA']['test']['images'] == 2  # official test kept
    assert splits['TN3K']['test']['images'] == 0  # merged, as published
    assert splits['BUSI']['test']['images'] == 0

    loo = tmp_path / 'without_busbra'
    run('--raw-root', raw, '--out', loo, '--datasets', 'BUS-BRA', 'BUSI',
        '--exclude', 'BUS-BRA')
    sources = {img['source'] for s in ('train', 'val', 'test')
               for img in coco(loo, s)['images']}
    assert sources == {'BUSI'}


def test_zero_shot_root(tmp_path):
    """configs/_base_/datasets/zero_shot_roots.py: one build per test set."""
    raw = tmp_path / 'raw'
    bus_bra(raw)
    root = tmp_path / 'data' / 'zero_shot' / 'busbra'
    run('--raw-root', raw, '--out', root, '--datasets', 'BUS-BRA')
    test = coco(root, 'test')
    assert len(test['images']) == 2
    assert all((root / 'images' / img['file_name']).is_file()
               for img in test['images'])


def test_unreadable_archive_reported_then_fixed(tmp_path, capsys):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    (raw / 'Fast-U-Net' / 'Dataset' / 'AC').mkdir(parents=True)
    (raw / 'Fast-U-Net' / 'Dataset' / 'AC' / 'AC_image1.rar').write_bytes(
        b'Rar!\x1a\x07\x00')
    run('--raw-root', raw, '--out', out, '--datasets', 'Fast-U-Net')
    text = capsys.readouterr().out
    assert 'Fast-U-Net: nothing converted' in text
    assert 'cannot read Fast-U-Net/Dataset/AC/AC_image1.rar (extract it)' in text
    fast_u_net(raw)  # the user extracts the archives: the rerun builds
    run('--raw-root', raw, '--out', out, '--datasets', 'Fast-U-Net')
    assert json.loads((out / 'manifest.json').read_text())['complete']


def test_converted_dataset_survives_deleting_raw(tmp_path, capsys):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    bus(raw)
    run('--raw-root', raw, '--out', out, '--datasets', 'BUS')
    before = coco(out, 'train')
    shutil.rmtree(raw / 'BUS')
    run('--raw-root', raw, '--out', out, '--datasets', 'BUS')
    assert 'BUS: already converted, reused' in capsys.readouterr().out
    assert coco(out, 'train') == before


class _Payload:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_pickled_masks_cannot_run_code():
    stream = io.BytesIO()
    np.save(stream, np.array([_Payload()], dtype=object), allow_pickle=True)
    with pytest.raises(RawReadError, match='refusing to load'):
        load_npy(stream.getvalue(), 'FASS/ARRAY_FORMAT/P001.npy')
