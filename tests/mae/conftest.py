"""Fixtures of the MAE tests: the repository root."""
from pathlib import Path

import pytest

import ultrasam


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The checkout the tested package is imported from."""
    return Path(ultrasam.__file__).resolve().parent.parent
