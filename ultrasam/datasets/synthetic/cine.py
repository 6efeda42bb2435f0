"""Synthetic cine loops: one lesion that moves and changes size over the
frames of a phantom, with the exact mask of every frame.

The probe, the tissue and the lesion's shape and acoustics are drawn once;
frame ``t`` places the lesion at ``centre + amplitude * sin(2 pi t / T +
phase)`` (per axis) and scales its axes by ``1 + size_change * sin(2 pi t /
T + size_phase)``, one period over the ``T`` frames (a heartbeat-like
cycle). Every frame is then formed by the B-mode chain of
:func:`~.simulator.form_image` with the same random state, so the tissue and
its speckle stay put while the lesion moves through them. Generating a loop
draws from its own ``rng`` only: the phantom sets are unchanged.
"""
import dataclasses
import io
from pathlib import Path
from typing import NamedTuple, Optional, Sequence, Union

import cv2
import numpy as np

from .config import PhantomConfig, check_int
from .lesions import random_lesion
from .probes import random_probe, scan_maps
from .simulator import form_image, rf_shape

# Centre positions tried before giving up on a loop geometry.
_MAX_TRIES = 200
# Depth kept free under the probe, as in ``place_lesions``.
_MIN_DEPTH = 0.08
# DICOM SOP class of an ultrasound multi-frame image.
_US_MULTIFRAME = '1.2.840.10008.5.1.4.1.1.3.1'


class CineLoop(NamedTuple):
    """A synthetic loop.

    Attributes:
        frames: (T, H, W) uint8 B-mode frames.
        masks: (T, H, W) bool lesion mask of each frame.
        fov: (H, W) bool field of view.
        probe: ``'linear'`` or ``'curved'``.
        lesion_type: One of ``LESION_TYPES``.
    """
    frames: np.ndarray
    masks: np.ndarray
    fov: np.ndarray
    probe: str
    lesion_type: str


def generate_cine_loop(rng: np.random.Generator,
                       cfg: PhantomConfig = PhantomConfig(),
                       num_frames: int = 12,
                       motion: float = 0.06,
                       size_change: float = 0.25) -> CineLoop:
    """Simulate a loop of ``num_frames`` frames (see the module docstring).

    Args:
        rng: Source of all randomness; the same state gives the same loop.
        cfg: Phantom parameter ranges (``num_lesions`` is ignored: one lesion).
        num_frames: Number of frames, at least 2.
        motion: Largest displacement of the lesion centre from its mean
            position along each axis, as a fraction of ``cfg.image_size``.
        size_change: Largest relative change of the lesion's axes, in
            [0, 0.5).

    Returns:
        The frames, their masks, the field of view, probe and lesion type.

    Raises:
        ValueError: On bad arguments, or when no position keeps the moving
            lesion inside the field of view.
    """
    check_int('num_frames', num_frames, 2)
    if not 0 <= motion <= 0.25:
        raise ValueError(f'motion must be in [0, 0.25], got {motion!r}')
    if not 0 <= size_change < 0.5:
        raise ValueError(f'size_change must be in [0, 0.5), got '
                         f'{size_change!r}')
    size = cfg.image_size
    probe = random_probe(rng, cfg)
    maps = scan_maps(probe, size, rf_shape(cfg))
    lesion = random_lesion(rng, cfg)
    amplitude = motion * size * rng.uniform(0.5, 1.0, 2)
    phase = rng.uniform(0, 2 * np.pi, 3)
    cycle = 2 * np.pi * np.arange(num_frames) / num_frames
    offsets = amplitude[:, None] * np.sin(cycle[None] + phase[:2, None])
    scales = 1 + size_change * np.sin(cycle + phase[2])
    reach = lesion.bound_radius * scales
    for _ in range(_MAX_TRIES):
        x, y = rng.uniform(0, size - 1, 2)
        if all(
                probe.fits(x + dx, y + dy, r, _MIN_DEPTH * probe.depth_px)
                for dx, dy, r in zip(offsets[0], offsets[1], reach)):
            break
    else:
        raise ValueError(
            f'no position keeps a lesion moving by {motion:g} of the image '
            f'and growing by {size_change:g} inside the {probe.name} '
            f'probe\'s field of view of a {size}x{size} image in '
            f'{_MAX_TRIES} tries; use smaller motion or size_change')
    render_seed = int(rng.integers(2**63))
    frames, masks = [], []
    for t in range(num_frames):
        moved = dataclasses.replace(
            lesion, x=x + offsets[0, t], y=y + offsets[1, t],
            semi_axes=tuple(a * scales[t] for a in lesion.semi_axes),
            bound_radius=reach[t])
        mask = moved.mask(size, size) & maps[2]
        sample = form_image(np.random.default_rng(render_seed), cfg, probe,
                            maps, [(moved, mask)])
        frames.append(sample.image)
        masks.append(mask)
    return CineLoop(np.stack(frames), np.stack(masks), maps[2], probe.name,
                    lesion.lesion_type)


def cine_loop_dicom(frames: np.ndarray,
                    pixel_spacing: Optional[Sequence[float]] = None,
                    frame_time_ms: Optional[float] = None) -> bytes:
    """A MONOCHROME2 ultrasound multi-frame DICOM file of ``frames``, with
    ``PixelSpacing`` (rows, columns mm) and ``FrameTime`` (ms) when given.

    Args:
        frames: (T, H, W) uint8 frames.
        pixel_spacing: Row and column spacing in mm, or None.
        frame_time_ms: Time between frames in ms, or None.

    Returns:
        The file content.
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.dtype != np.uint8:
        raise ValueError(f'frames must be (T, H, W) uint8, got '
                         f'{frames.shape} {frames.dtype}')
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = _US_MULTIFRAME
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = _US_MULTIFRAME
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'US'
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = frames.shape[1:]
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if pixel_spacing is not None:
        ds.PixelSpacing = [float(v) for v in pixel_spacing]
    if frame_time_ms is not None:
        ds.FrameTime = float(frame_time_ms)
    ds.PixelData = np.ascontiguousarray(frames).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def write_cine_loop(out_dir: Union[str, Path],
                    loop: CineLoop,
                    pixel_spacing: Sequence[float] = (0.2, 0.2),
                    frame_time_ms: float = 50.0) -> None:
    """Write a loop as ``loop.dcm`` (with its calibration), ``frames/`` and
    ``masks/`` (``NNNN.png``, 0 / 255).

    Args:
        out_dir: Absent or empty directory.
        loop: The loop.
        pixel_spacing: Row and column spacing written to the DICOM (mm).
        frame_time_ms: Frame time written to the DICOM (ms).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise FileExistsError(f'{out_dir} exists and is not an empty '
                              'directory; choose another output directory')
    for name in ('frames', 'masks'):
        (out_dir / name).mkdir(parents=True)
    for t, (frame, mask) in enumerate(zip(loop.frames, loop.masks)):
        for name, image in (('frames', frame),
                            ('masks', mask.astype(np.uint8) * 255)):
            path = out_dir / name / f'{t:04d}.png'
            if not cv2.imwrite(str(path), image):
                raise OSError(f'could not write {path}')
    (out_dir / 'loop.dcm').write_bytes(
        cine_loop_dicom(loop.frames, pixel_spacing, frame_time_ms))

