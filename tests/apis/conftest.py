"""Fixtures of the interactive-tool tests: the trained demo checkpoint and a
phantom with several lesions."""
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest

from ultrasam.datasets import PhantomConfig, generate_phantom

DATA = Path(__file__).resolve().parent / 'data'


@pytest.fixture(scope='session')
def demo_checkpoint() -> Path:
    """The `make demo` model: ``configs/ultrasam/ultrasam_vitt_phantom.py``
    trained 1200 iterations on 300 phantoms (seed 0), weights only (see
    data/README.md). Its mean single-point Dice on the 50 test phantoms is
    0.913 (IoU 0.844)."""
    return DATA / 'ultrasam_vitt_phantom_demo.pth'


@pytest.fixture(scope='session')
def lesion_phantom() -> Tuple[np.ndarray, List[np.ndarray]]:
    """A 256 px phantom with four lesions (three hyperechoic, one anechoic)
    that the training set never saw: the gray image and the lesion masks."""
    sample = generate_phantom(np.random.default_rng(1008),
                              PhantomConfig(num_lesions=(4, 4)))
    assert len(sample.instances) == 4
    return sample.image, [instance['mask'] for instance in sample.instances]
