"""Fixtures shared by the test directories: the tiny CPU config, its seeded and
its trained (demo) weights, ``dice``, tool scripts imported in-process, and file
snapshots that show a tool left its inputs untouched."""
import functools
import hashlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, Union

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import ultrasam
from mmdet.registry import MODELS

REPO = Path(ultrasam.__file__).resolve().parent.parent

PathLike = Union[str, Path]
Snapshot = Callable[..., Dict[str, str]]


@pytest.fixture(scope='session')
def phantom_config() -> Path:
    """The tiny CPU config (256 px ViT-T, batch 4) the tool tests train."""
    return REPO / 'configs' / 'ultrasam' / 'ultrasam_vitt_phantom.py'


@pytest.fixture(scope='session')
def demo_checkpoint() -> Path:
    """The `make demo` model: ``configs/ultrasam/ultrasam_vitt_phantom.py``
    trained 1200 iterations on 300 phantoms (seed 0), weights only (see
    fixtures/README.md). Its mean single-point Dice on the 50 test phantoms is
    0.913 (IoU 0.844)."""
    return (REPO / 'tests' / 'apis' / 'fixtures' /
            'ultrasam_vitt_phantom_demo.pth')


@pytest.fixture(scope='session')
def dice() -> Callable[[np.ndarray, np.ndarray], float]:
    """``dice(a, b)`` of two bool masks."""
    return lambda a, b: float(2 * (a & b).sum() / (a.sum() + b.sum()))


@pytest.fixture(scope='session')
def init_checkpoint(phantom_config: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded initial weights of the tiny config, as an MMEngine checkpoint.

    Runs that load one file start from the same model whatever each of them
    draws from the RNGs before building it.
    """
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(Config.fromfile(str(phantom_config)).model)
    model.init_weights()
    path = tmp_path_factory.mktemp('init') / 'init.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


@pytest.fixture(scope='session')
def load_script() -> Callable[[str], ModuleType]:
    """``load_script('tools/demo/image_demo.py')``: a tool script (path from
    the repository root) imported as a module, to call its ``main(argv)``
    in-process without a subprocess's seconds of imports. Each script is
    imported once per session."""

    @functools.cache
    def load(relative_path: str) -> ModuleType:
        path = REPO / relative_path
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def _fingerprint(path: Path) -> str:
    if path.is_symlink():
        return f'symlink to {os.readlink(path)}'
    if path.is_dir():
        return 'directory'
    return 'sha256 ' + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def snapshot() -> Snapshot:
    """``snapshot(*paths)``: every file, directory and symlink under the
    given paths (or the paths themselves), mapped to its content hash or link
    target. Two equal snapshots mean nothing was changed, added or removed.
    """

    def take(*paths: PathLike) -> Dict[str, str]:
        state = {}
        for root in map(Path, paths):
            state[str(root)] = _fingerprint(root)
            if root.is_dir() and not root.is_symlink():
                for path in sorted(root.rglob('*')):
                    state[str(path)] = _fingerprint(path)
        return state

    return take
