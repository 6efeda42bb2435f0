"""Fixtures of the interactive-tool tests: a phantom with several lesions and
one-thread torch (the demo checkpoint and ``dice`` are in tests/conftest.py)."""
from typing import Iterator, List, NamedTuple, Tuple

import cv2
import numpy as np
import pytest
import torch

from ultrasam.datasets import PhantomConfig, generate_phantom


class LesionPhantom(NamedTuple):
    """A phantom image, its lesion masks and a click inside each lesion."""
    image: np.ndarray
    lesions: List[np.ndarray]
    clicks: List[Tuple[int, int]]


def _deepest_pixel(mask: np.ndarray) -> Tuple[int, int]:
    """(x, y) of the mask pixel farthest from its border."""
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(np.argmax(distance), mask.shape)
    return int(x), int(y)


@pytest.fixture(scope='session')
def lesion_phantom() -> LesionPhantom:
    """A 256 px gray phantom with four lesions that the training set never
    saw, and for each the pixel deepest inside it (where a user clicks)."""
    sample = generate_phantom(np.random.default_rng(1008),
                              PhantomConfig(num_lesions=(4, 4)))
    assert len(sample.instances) == 4
    lesions = [instance['mask'] for instance in sample.instances]
    return LesionPhantom(sample.image, lesions,
                         [_deepest_pixel(m) for m in lesions])


@pytest.fixture
def single_thread() -> Iterator[None]:
    """torch on one CPU thread during a test, restored after.

    On a machine shared with other jobs (CI, several engineers on 2 cores)
    a second intra-op thread that gets descheduled stalls every operator:
    the decoder calls of these tests ran 10-20x faster on one thread at a
    load average of 11.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
