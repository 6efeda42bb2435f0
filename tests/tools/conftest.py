"""Fixtures for tests that run the training entry points as real subprocesses.

Helpers are fixtures rather than importable functions: the test directories are
not packages, so a ``from conftest import ...`` could pick another directory's
``conftest`` module.
"""
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest

import ultrasam
from ultrasam.datasets.synthetic import write_phantom_coco

REPO = Path(ultrasam.__file__).resolve().parent.parent
# A train run of a few iterations takes ~15 s; this only catches hangs (e.g. a
# process group waiting forever for a crashed peer).
SUBPROCESS_TIMEOUT_S = 300

RunTool = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope='session')
def repo() -> Path:
    """Repository root: the tools are run from there, like a user would."""
    return REPO


# The tool tests' phantom set. Four iterations of the tiny config's batch of 4
# make one epoch, so short runs still cross an epoch boundary (dataloader
# restart, sampler epoch).
PHANTOM_GENERATOR = dict(num_train=16, num_test=0, seed=0, image_size=256)


@pytest.fixture(scope='session')
def phantom_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CPU config (256 px ViT-T, batch 4) the tool tests train, set to
    ``phantom_root``'s generator arguments (its SyntheticPhantomDataset refuses
    a set made with other ones)."""
    config = tmp_path_factory.mktemp('config') / 'ultrasam_vitt_phantom16.py'
    base = REPO / 'configs' / 'ultrasam' / 'ultrasam_vitt_phantom.py'
    config.write_text(
        f'_base_ = {str(base)!r}\n'
        f'train_dataloader = dict(dataset=dict(generator={PHANTOM_GENERATOR!r}))\n'
        f'test_dataloader = dict(dataset=dict(generator={PHANTOM_GENERATOR!r}))\n')
    return config


@pytest.fixture(scope='session')
def phantom_generator_options() -> List[str]:
    """``--cfg-options`` giving the packaged phantom config ``phantom_root``'s
    generator arguments."""
    return [f'{loader}.dataset.generator.{key}={value}'
            for loader in ('train_dataloader', 'test_dataloader')
            for key, value in PHANTOM_GENERATOR.items()]


@pytest.fixture(scope='session')
def phantom_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The phantom set ``PHANTOM_GENERATOR`` describes: 16 training phantoms
    (seed 0) at the tiny config's image size (256 px), no test split."""
    root = tmp_path_factory.mktemp('phantom')
    write_phantom_coco(root, **PHANTOM_GENERATOR)
    return root


@pytest.fixture
def free_port() -> int:
    """A TCP port that was free a moment ago, for torchrun's rendezvous.

    Distinct ports keep concurrent test sessions (several engineers share the
    machine) from joining each other's process groups.
    """
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def tool_env() -> Dict[str, str]:
    """The test process's environment with ``PYTHON`` set to its interpreter.

    ``tools/dist_*.sh`` run ``$PYTHON``; this makes them use the project's
    virtualenv instead of whatever ``python`` is first on PATH.
    """
    return dict(os.environ, PYTHON=sys.executable)


@pytest.fixture
def run_tool(tool_env: Dict[str, str]) -> RunTool:
    """``run_tool(args, env=None)``: run a command from the repository root.

    Fails the test with the tail of the command's output when it exits
    non-zero, since that output is the only trace of what went wrong.
    """

    def run(args: List[str],
            env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        result = subprocess.run([str(a) for a in args],
                                cwd=REPO,
                                env=tool_env if env is None else env,
                                capture_output=True,
                                text=True,
                                timeout=SUBPROCESS_TIMEOUT_S)
        assert result.returncode == 0, (
            f'{" ".join(map(str, args))} exited with {result.returncode}\n'
            f'--- stdout (tail) ---\n{result.stdout[-4000:]}\n'
            f'--- stderr (tail) ---\n{result.stderr[-6000:]}')
        return result

    return run
