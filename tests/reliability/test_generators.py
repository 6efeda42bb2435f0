"""Reliability catalogue of the phantom generator: every bad input gets a clear
error naming the file or value, and no file that existed before is changed.

Surfaces: ``tools/dataset_converters/make_phantom.py`` (run in-process, as a
user would from the shell), ``write_phantom_coco`` / ``ensure_phantom_coco``
and the ``SyntheticPhantomDataset`` that the phantom configs build.
"""
import hashlib
import json
import runpy
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import pytest
from mmengine.registry import init_default_scope

import ultrasam  # noqa: F401  registers the dataset
from mmdet.registry import DATASETS
from ultrasam.datasets import synthetic_phantom
from ultrasam.datasets.synthetic import (MIN_IMAGE_SIZE, PhantomConfig,
                                         ensure_phantom_coco, write_phantom_coco)
from ultrasam.datasets.synthetic import coco_writer
from ultrasam.datasets.synthetic.lesions import place_lesions
from ultrasam.datasets.synthetic.probes import LinearProbe

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools' / 'dataset_converters' / 'make_phantom.py'
# Small and fast: a set of 3 images of 64 px takes well under a second.
SMALL = dict(num_train=2, num_test=1, seed=0, image_size=64)
SMALL_ARGS = ['--num-train', '2', '--num-test', '1', '--seed', '0',
              '--image-size', '64']


def _hashes(root: Path) -> Dict[str, str]:
    """SHA-256 of every file under ``root``, hidden ones included."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob('*')) if p.is_file()}


def _run_cli(argv: List[str], monkeypatch, capsys) -> str:
    """Run make_phantom.py with ``argv`` and return its error message; fails the
    test if it exits cleanly."""
    monkeypatch.setattr(sys, 'argv', [str(SCRIPT), *argv])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name='__main__')
    code = exit_info.value.code
    # Our errors exit with the message; argparse prints the usage and its
    # message, then exits with 2.
    return code if isinstance(code, str) else capsys.readouterr().err.splitlines()[-1]


# Directory states a case starts from, each written into ``tmp_path``.
def _nothing(tmp_path: Path) -> None:
    """No output directory yet."""


def _phantom_set(tmp_path: Path) -> None:
    write_phantom_coco(tmp_path / 'D', **SMALL)


def _phantom_set_with_notes(tmp_path: Path) -> None:
    _phantom_set(tmp_path)
    (tmp_path / 'D' / 'notes.txt').write_text('the user wrote this')


def _user_dataset(tmp_path: Path) -> None:
    (tmp_path / 'D' / 'images').mkdir(parents=True)
    (tmp_path / 'D' / 'images' / 'scan.png').write_bytes(b'user image')
    (tmp_path / 'D' / 'annotations').mkdir()
    (tmp_path / 'D' / 'annotations' / 'train.json').write_text(
        json.dumps(dict(images=[], annotations=[], categories=[])))


def _old_half_written_set(tmp_path: Path) -> None:
    """What an interrupted run of the previous, non-atomic writer left."""
    _phantom_set(tmp_path)
    (tmp_path / 'D' / 'annotations' / 'test.json').unlink()


def _regular_file(tmp_path: Path) -> None:
    (tmp_path / 'D').write_text('a file, not a directory')


def _parent_is_file(tmp_path: Path) -> None:
    (tmp_path / 'F').write_text('a file where a directory is needed')


# (id, setup, --out below tmp_path, extra arguments, words the error must hold)
CLI_ERRORS = [
    ('image-size-8-hung', _nothing, 'D', ['--image-size', '8'],
     ['image_size', 'at least 32', 'got 8', 'field of view']),
    ('image-size-0-numpy-error', _nothing, 'D', ['--image-size', '0'],
     ['image_size', 'got 0']),
    ('image-size-1', _nothing, 'D', ['--image-size', '1'], ['got 1']),
    ('image-size-16', _nothing, 'D', ['--image-size', '16'], ['got 16']),
    ('image-size-below-minimum', _nothing, 'D',
     ['--image-size', str(MIN_IMAGE_SIZE - 1)], [f'got {MIN_IMAGE_SIZE - 1}']),
    ('image-size-negative', _nothing, 'D', ['--image-size', '-5'], ['got -5']),
    ('num-train-negative', _nothing, 'D', ['--num-train', '-1'],
     ['num_train', 'got -1']),
    ('num-test-negative', _nothing, 'D', ['--num-test', '-2'],
     ['num_test', 'got -2']),
    ('no-images', _nothing, 'D', ['--num-train', '0', '--num-test', '0'],
     ['num_train and num_test are both 0']),
    ('seed-negative', _nothing, 'D', ['--seed', '-1'], ['seed', 'got -1']),
    ('num-train-not-integer', _nothing, 'D', ['--num-train', '1.5'],
     ['--num-train', "invalid int value: '1.5'"]),
    ('seed-not-integer', _nothing, 'D', ['--seed', 'abc'],
     ['--seed', "invalid int value: 'abc'"]),
    ('image-size-not-integer', _nothing, 'D', ['--image-size', '64px'],
     ['--image-size', "invalid int value: '64px'"]),
    ('existing-set-no-overwrite', _phantom_set, 'D', [],
     ['D already exists', 'refusing to overwrite', '--overwrite',
      'seed 0 and 2 train images']),
    ('overwrite-user-dataset', _user_dataset, 'D', ['--overwrite'],
     ['D is not a phantom set', 'annotations/train.json',
      'refusing to delete']),
    ('overwrite-set-with-user-file', _phantom_set_with_notes, 'D',
     ['--overwrite'], ['D is not a phantom set', 'notes.txt']),
    ('overwrite-old-half-written-set', _old_half_written_set, 'D',
     ['--overwrite'], ['annotations/test.json is missing', 'refusing']),
    ('rerun-on-old-half-written-set', _old_half_written_set, 'D', [],
     ['D already exists', 'refusing to overwrite']),
    ('out-is-a-file', _regular_file, 'D', ['--overwrite'],
     ['D exists and is not a directory']),
    ('out-below-a-file', _parent_is_file, 'F/D', [],
     ['cannot write the phantom set', 'F is not a directory']),
]


@pytest.mark.parametrize('setup,out,extra,words',
                         [case[1:] for case in CLI_ERRORS],
                         ids=[case[0] for case in CLI_ERRORS])
def test_cli_error_names_the_value_and_changes_nothing(
        tmp_path: Path, monkeypatch, capsys, setup: Callable[[Path], None],
        out: str, extra: List[str], words: List[str]):
    setup(tmp_path)
    before, names = _hashes(tmp_path), sorted(tmp_path.iterdir())
    message = _run_cli(['--out', str(tmp_path / out), *SMALL_ARGS, *extra],
                       monkeypatch, capsys)
    assert message.startswith('make_phantom.py: error:'), message
    assert '\n' not in message.strip(), message  # one line, no traceback
    for word in words:
        assert word in message, (word, message)
    # Nothing changed, nothing left behind (no hidden staging directory).
    assert _hashes(tmp_path) == before
    assert sorted(tmp_path.iterdir()) == names


def test_cli_unwritable_location(monkeypatch, capsys):
    """/proc accepts no new directories, even from root."""
    message = _run_cli(['--out', '/proc/ultrasam_phantom', *SMALL_ARGS],
                       monkeypatch, capsys)
    assert 'cannot write the phantom set to /proc/ultrasam_phantom' in message
    assert not Path('/proc/ultrasam_phantom').exists()


def test_cli_requires_out(monkeypatch, capsys):
    message = _run_cli(SMALL_ARGS, monkeypatch, capsys)
    assert 'the following arguments are required: --out' in message


def test_cli_interrupted_run_leaves_nothing_behind(tmp_path, monkeypatch,
                                                   capsys):
    real = coco_writer.generate_phantom
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(coco_writer, 'generate_phantom', interrupted)
    message = _run_cli(['--out', str(tmp_path / 'D'), *SMALL_ARGS],
                       monkeypatch, capsys)
    assert 'interrupted' in message and str(tmp_path / 'D') in message
    assert list(tmp_path.iterdir()) == []
    # The rerun is not blocked.
    monkeypatch.setattr(coco_writer, 'generate_phantom', real)
    write_phantom_coco(tmp_path / 'D', **SMALL)


def test_cli_rerun_beside_a_killed_run_s_leftover(tmp_path, monkeypatch, capsys):
    """A run killed with SIGKILL leaves its hidden staging directory; it blocks
    nothing, and is not deleted (it could be a concurrent run's)."""
    leftover = tmp_path / '.D.partial-1-0badf00d' / 'images'
    leftover.mkdir(parents=True)
    (leftover / 'x.png').write_bytes(b'partial')
    monkeypatch.setattr(sys, 'argv',
                        [str(SCRIPT), '--out', str(tmp_path / 'D'), *SMALL_ARGS])
    runpy.run_path(str(SCRIPT), run_name='__main__')
    assert '2 images' in capsys.readouterr().out
    assert (leftover / 'x.png').read_bytes() == b'partial'
    assert (tmp_path / 'D' / 'annotations' / 'train.json').is_file()


def test_cli_overwrite_replaces_its_own_set_only(tmp_path, monkeypatch, capsys):
    _phantom_set(tmp_path)
    (tmp_path / 'keep.txt').write_text('next to the set, not in it')
    monkeypatch.setattr(sys, 'argv', [
        str(SCRIPT), '--out', str(tmp_path / 'D'), '--num-train', '1',
        '--num-test', '1', '--seed', '5', '--image-size', '64', '--overwrite'])
    runpy.run_path(str(SCRIPT), run_name='__main__')
    info = json.loads((tmp_path / 'D' / 'annotations' / 'train.json').read_text())
    assert info['info']['seed'] == 5 and len(info['images']) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['D', 'keep.txt']


def test_cli_into_an_empty_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / 'D').mkdir()
    monkeypatch.setattr(sys, 'argv',
                        [str(SCRIPT), '--out', str(tmp_path / 'D'), *SMALL_ARGS])
    runpy.run_path(str(SCRIPT), run_name='__main__')
    assert _hashes(tmp_path / 'D') == _hashes(_fresh_set(tmp_path / 'ref'))


def _fresh_set(root: Path, **overrides) -> Path:
    write_phantom_coco(root, **dict(SMALL, **overrides))
    return root


# (id, keyword arguments of write_phantom_coco, words the error must hold)
API_ERRORS = [
    ('float-image-size', dict(image_size=64.0), ['image_size', '64.0', 'float']),
    ('str-seed', dict(seed='0'), ['seed', "'0'", 'str']),
    ('bool-count', dict(num_train=True), ['num_train', 'True', 'bool']),
    ('numpy-count', dict(num_test=np.int64(1)), ['num_test', 'int64']),
]


@pytest.mark.parametrize('function', [write_phantom_coco, ensure_phantom_coco],
                         ids=['write', 'ensure'])
@pytest.mark.parametrize('kwargs,words', [case[1:] for case in API_ERRORS],
                         ids=[case[0] for case in API_ERRORS])
def test_api_rejects_non_integer_arguments(tmp_path, function, kwargs, words):
    with pytest.raises(ValueError) as error:
        function(tmp_path / 'D', **dict(SMALL, **kwargs))
    for word in words:
        assert word in str(error.value), (word, str(error.value))
    assert list(tmp_path.iterdir()) == []


def test_placement_is_bounded():
    """A field of view too small for any lesion fails instead of looping."""
    cfg = PhantomConfig(image_size=MIN_IMAGE_SIZE)
    probe = LinearProbe(0, 0, 6, 6)
    fov = np.zeros((MIN_IMAGE_SIZE, MIN_IMAGE_SIZE), bool)
    fov[:6, :6] = True
    with pytest.raises(ValueError, match='no lesion fits the linear probe'):
        place_lesions(np.random.default_rng(0), cfg, probe, fov)


@pytest.mark.parametrize('seed', range(3))
def test_smallest_image_size_generates(tmp_path, seed):
    summary = write_phantom_coco(tmp_path / 'D', 8, 2, seed,
                                 image_size=MIN_IMAGE_SIZE)
    assert summary['train']['instances'] >= 8


def test_ensure_reuses_an_identical_set(tmp_path):
    assert ensure_phantom_coco(tmp_path / 'D', **SMALL) == 'generated'
    before = _hashes(tmp_path)
    assert ensure_phantom_coco(tmp_path / 'D', **SMALL) == 'reused'
    assert _hashes(tmp_path) == before
    assert _hashes(tmp_path / 'D') == _hashes(_fresh_set(tmp_path / 'ref'))


# (id, setup, words the error must hold)
ENSURE_ERRORS = [
    ('other-seed', lambda root: _fresh_set(root, seed=1),
     ['different phantom set', 'with seed 1 and', 'with seed 0 and',
      '--seed 0', '--overwrite']),
    ('other-size', lambda root: _fresh_set(root, image_size=96),
     ['of 96 px', 'of 64 px', '--image-size 64']),
    ('other-counts', lambda root: _fresh_set(root, num_train=3),
     ['3 train images', '2 train images', '--num-train 2']),
    ('other-version', lambda root: _set_version(_fresh_set(root), '1.0'),
     ['generator version 1.0', 'generator version 1.1']),
    ('other-settings', lambda root: _set_config(_fresh_set(root),
                                                curved_prob=0.9),
     ['other generator settings']),
    ('missing-image', lambda root: (
        _fresh_set(root) / 'images' / 'train' / '000002.png').unlink(),
     ['incomplete phantom set', 'images/train/000002.png']),
    ('user-data', lambda root: _user_dataset(root.parent),
     ['not a phantom set', 'annotations/train.json']),
    ('a-file', lambda root: _regular_file(root.parent),
     ['not a phantom set', 'it is not a directory']),
]


def _set_version(root: Path, version: str) -> None:
    for split in ('train', 'test'):
        path = root / 'annotations' / f'{split}.json'
        coco = json.loads(path.read_text())
        coco['info']['generator_version'] = version
        path.write_text(json.dumps(coco))


def _set_config(root: Path, **changes) -> None:
    for split in ('train', 'test'):
        path = root / 'annotations' / f'{split}.json'
        coco = json.loads(path.read_text())
        coco['info']['config'].update(changes)
        path.write_text(json.dumps(coco))


@pytest.mark.parametrize('setup,words', [case[1:] for case in ENSURE_ERRORS],
                         ids=[case[0] for case in ENSURE_ERRORS])
def test_ensure_never_touches_another_set(tmp_path, setup, words):
    root = tmp_path / 'D'
    setup(root)
    before = _hashes(tmp_path)
    with pytest.raises(FileExistsError) as error:
        ensure_phantom_coco(root, **SMALL)
    assert str(root) in str(error.value)
    for word in words:
        assert word in str(error.value), (word, str(error.value))
    assert _hashes(tmp_path) == before


def test_ensure_loses_a_race_and_reuses_the_winner_s_set(tmp_path, monkeypatch):
    """Two processes generating at once: the one renaming second reuses the
    first one's set and removes its own copy."""
    root = tmp_path / 'D'
    real = coco_writer._write_splits

    def other_process_finishes_first(*args):
        monkeypatch.setattr(coco_writer, '_write_splits', real)
        counts = real(*args)
        write_phantom_coco(root, **SMALL)
        return counts

    monkeypatch.setattr(coco_writer, '_write_splits',
                        other_process_finishes_first)
    assert ensure_phantom_coco(root, **SMALL) == 'reused'
    assert [p.name for p in tmp_path.iterdir()] == ['D']
    assert _hashes(root) == _hashes(_fresh_set(tmp_path / 'ref'))


def _dataset_cfg(data_root: Path, generator: Optional[dict] = None,
                 **kwargs) -> dict:
    cfg = dict(type='SyntheticPhantomDataset', data_root=str(data_root),
               generator=SMALL if generator is None else generator,
               ann_file='annotations/train.json',
               data_prefix=dict(img='images/'), pipeline=[])
    cfg.update(kwargs)
    return cfg


@pytest.fixture
def logged(monkeypatch) -> List[str]:
    init_default_scope('mmdet')
    messages = []
    monkeypatch.setattr(synthetic_phantom, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


def test_dataset_generates_then_reuses(tmp_path, logged):
    root = tmp_path / 'D'
    dataset = DATASETS.build(_dataset_cfg(root))
    assert len(dataset) == 2 and 'phantom set generated' in logged[-1]
    assert dataset[0]['img_path'] == str(root / 'images' / 'train' / '000001.png')
    # The same files as the command line tool writes.
    assert _hashes(root) == _hashes(_fresh_set(tmp_path / 'ref'))
    before = _hashes(tmp_path)
    test_set = DATASETS.build(_dataset_cfg(
        root, ann_file='annotations/test.json', test_mode=True))
    assert len(test_set) == 1 and 'phantom set reused' in logged[-1]
    assert _hashes(tmp_path) == before


def test_dataset_refuses_a_different_set(tmp_path, logged):
    root = _fresh_set(tmp_path / 'D', seed=3)
    before = _hashes(tmp_path)
    with pytest.raises(FileExistsError) as error:
        DATASETS.build(_dataset_cfg(root))
    message = str(error.value)
    for word in (str(root), 'with seed 3 and', 'make_phantom.py --out',
                 '--overwrite', 'SyntheticPhantomDataset', "'seed': 0"):
        assert word in message, (word, message)
    assert _hashes(tmp_path) == before


def test_dataset_refuses_user_data(tmp_path, logged):
    _user_dataset(tmp_path)
    before = _hashes(tmp_path)
    with pytest.raises(FileExistsError, match='not a phantom set'):
        DATASETS.build(_dataset_cfg(tmp_path / 'D'))
    assert _hashes(tmp_path) == before


@pytest.mark.parametrize('generator,words', [
    (dict(SMALL, size=64), ["unknown ['size']"]),
    (dict(num_train=2, num_test=1), ["missing ['seed']"]),
    (dict(SMALL, image_size=8), ['image_size', 'got 8']),
    (dict(SMALL, num_train=-1), ['num_train', 'got -1']),
], ids=['unknown-key', 'missing-key', 'small-image', 'negative-count'])
def test_dataset_rejects_bad_generator(tmp_path, logged, generator, words):
    with pytest.raises(ValueError) as error:
        DATASETS.build(_dataset_cfg(tmp_path / 'D', generator))
    for word in words:
        assert word in str(error.value), (word, str(error.value))
    assert list(tmp_path.iterdir()) == []


def test_dataset_needs_data_root(logged):
    cfg = _dataset_cfg(Path('unused'))
    cfg['data_root'] = ''
    with pytest.raises(ValueError, match='needs data_root'):
        DATASETS.build(cfg)
