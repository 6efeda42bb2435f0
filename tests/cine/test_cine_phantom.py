"""The cine-loop mode of the phantom generator: a lesion that moves and
changes size, exact per-frame masks, determinism, and the DICOM writer."""
import hashlib

import numpy as np
import pytest

from ultrasam.datasets.dicom_calibration import read_dicom_calibration
from ultrasam.datasets.image_io import read_ultrasound_image
from ultrasam.datasets.synthetic import (PhantomConfig, generate_cine_loop,
                                         generate_phantom, write_cine_loop)

SMALL = PhantomConfig(image_size=96)
# SHA-256 of the images and masks of seeds 0-11 at 64 and 256 px, computed on
# main before the cine mode split ``generate_phantom`` into ``form_image``:
# the phantom sets (and the trained demo model's data) are unchanged.
PHANTOM_DIGEST = ('c68670b6cf9e4b4e656a4fc2519bb58b'
                  '57ab86e78455a168f8e5f8bc9f42771e')


@pytest.fixture(scope='module')
def loop():
    return generate_cine_loop(np.random.default_rng(0), SMALL, num_frames=6)


def test_lesion_moves_and_changes_size(loop):
    assert loop.frames.shape == (6, 96, 96) and loop.frames.dtype == np.uint8
    assert loop.masks.shape == (6, 96, 96) and loop.masks.dtype == bool
    areas = loop.masks.reshape(6, -1).sum(axis=1)
    assert areas.min() > 0 and areas.max() / areas.min() > 1.3
    centres = [np.argwhere(m).mean(axis=0) for m in loop.masks]
    assert max(np.linalg.norm(c - centres[0]) for c in centres) > 2
    assert not (loop.masks & ~loop.fov).any()


def test_tissue_and_speckle_stay_put(loop):
    """Frames differ only along the beams through the lesion (its echo,
    posterior shadow or enhancement and the blur of its edge): 19 % of
    the field of view for this loop, whose lesion covers 9 %."""
    changed = (loop.frames != loop.frames[0]).any(axis=0)[loop.fov]
    swept = loop.masks.any(axis=0)[loop.fov]
    assert changed[swept].mean() > 0.9
    assert changed.mean() < 0.3


def test_phantom_bytes_unchanged():
    digest = hashlib.sha256()
    for seed in range(12):
        for size in (64, 256):
            sample = generate_phantom(np.random.default_rng(seed),
                                      PhantomConfig(image_size=size))
            digest.update(sample.image.tobytes())
            for instance in sample.instances:
                digest.update(instance['mask'].tobytes())
    assert digest.hexdigest() == PHANTOM_DIGEST


def test_deterministic(loop):
    again = generate_cine_loop(np.random.default_rng(0), SMALL, num_frames=6)
    assert np.array_equal(again.frames, loop.frames)
    assert np.array_equal(again.masks, loop.masks)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_frames=1), 'num_frames must be at least 2'),
    (dict(motion=0.5), 'motion must be in'),
    (dict(size_change=0.5), 'size_change must be in'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_cine_loop(np.random.default_rng(0), SMALL, **kwargs)


def test_write_cine_loop(tmp_path, loop):
    write_cine_loop(tmp_path / 'loop', loop, (0.3, 0.2), 40.0)
    dicom = tmp_path / 'loop' / 'loop.dcm'
    calibration = read_dicom_calibration(str(dicom))
    assert calibration.spacing == (0.3, 0.2)
    assert calibration.frame_time_ms == 40.0
    frame = read_ultrasound_image(str(dicom), frame=4)
    assert np.array_equal(frame[..., 0], loop.frames[4])
    assert len(list((tmp_path / 'loop' / 'masks').glob('*.png'))) == 6
    with pytest.raises(FileExistsError, match='not an empty directory'):
        write_cine_loop(tmp_path / 'loop', loop)
