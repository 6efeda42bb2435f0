"""Data-pipeline transform removing burned-in annotations (text, calipers,
markers, colour overlays) from ultrasound images by detection and inpainting."""
import inspect
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS

# Pixels darker than this carry no usable colour (black background, noise).
_DARK = 20


def detect_overlays(img: np.ndarray,
                    colour_threshold: int = 40,
                    max_colour_fraction: float = 0.3,
                    tophat_size: int = 5,
                    seed_threshold: int = 90,
                    rim_threshold: int = 30,
                    group_distance: int = 4,
                    min_area: int = 10,
                    max_area: int = 2000,
                    max_thick_fraction: float = 0.15) -> np.ndarray:
    """Mask of the burned-in overlay pixels of an ultrasound image.

    Two kinds of pixels are found:

    - **colour**: B-mode data is grey or uniformly tinted (e.g. sepia), so
      a pixel whose colour differs from that tint (the median chromaticity of
      the image) by ``colour_threshold`` or more in a channel belongs to a
      colour overlay (boxes, coloured calipers and text, Doppler). When more
      than ``max_colour_fraction`` of the image is such colour (a Doppler or
      elastography frame) no colour pixel is removed.
    - **bright thin marks**: text, crosses and dotted caliper lines are
      strokes narrower than ``tophat_size`` and much brighter than their
      surroundings. Pixels whose white top-hat (a ``tophat_size`` disc)
      reaches ``seed_threshold`` are seeds; seeds up to
      ``2 * group_distance`` pixels apart form one mark (the letters of a
      word, the dots of a caliper line). A mark is kept when it has
      ``min_area`` to ``max_area`` seeds and is thin: at most
      ``max_thick_fraction`` of its seeds keep a 3x3 neighbourhood of top-hat
      >= ``rim_threshold`` (bright speckle grains are blobs, strokes are
      lines). A kept mark covers its seeds and the pixels of top-hat >=
      ``rim_threshold`` connected to them within ``group_distance`` of the
      seeds.

    Args:
        img (np.ndarray): ``(H, W, 3)`` BGR or ``(H, W)`` grey ``uint8``.
        colour_threshold (int): Minimum channel difference of a colour
            pixel to the tint.
        max_colour_fraction (float): Above this fraction of colour pixels
            none is removed.
        tophat_size (int): Disc diameter of the top-hat; strokes must be
            narrower. Odd, >= 3.
        seed_threshold (int): Top-hat of a mark's core pixels.
        rim_threshold (int): Top-hat of a mark's other pixels.
        group_distance (int): Seeds up to twice this far apart belong to
            one mark.
        min_area (int): Fewest seeds of a mark.
        max_area (int): Most seeds of a mark.
        max_thick_fraction (float): Largest share of a mark's seeds inside
            a 3x3 block of rim pixels.

    Returns:
        np.ndarray: ``(H, W)`` bool mask of overlay pixels.
    """
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or (
            img.ndim == 3 and img.shape[2] != 3):
        raise ValueError('detect_overlays expects an (H, W) or (H, W, 3) '
                         f'uint8 image, got {img.dtype} {img.shape}')
    if tophat_size < 3 or tophat_size % 2 == 0:
        raise ValueError(f'tophat_size must be odd and >= 3, got '
                         f'{tophat_size}')
    if img.ndim == 2:
        img = img[..., None].repeat(3, axis=2)
    colour = _off_tint(img) >= colour_threshold
    if colour.mean() > max_colour_fraction:
        colour[:] = False
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                     (tophat_size, tophat_size))
    brightest = cv2.max(cv2.max(img[..., 0], img[..., 1]), img[..., 2])
    tophat = cv2.morphologyEx(brightest, cv2.MORPH_TOPHAT, disc)
    rim = (tophat >= rim_threshold) & ~colour
    seeds = (tophat >= seed_threshold) & ~colour
    return colour | _thin_marks(seeds, rim, group_distance, min_area,
                                max_area, max_thick_fraction)


def _off_tint(img: np.ndarray) -> np.ndarray:
    """How far each pixel's colour is from the image's B-mode tint (grey, or
    e.g. sepia): the largest channel difference to the tint colour of the
    same brightness."""
    channels = cv2.split(img)
    if all(np.array_equal(channels[0], other) for other in channels[1:]):
        return np.zeros(img.shape[:2], np.float32)  # grey: no colour at all
    # The tint is the median chromaticity of the lit pixels (subsampled).
    sample = img[::4, ::4].reshape(-1, 3).astype(np.float32)
    sample = sample[sample.sum(axis=1) > 3 * _DARK]
    tint = np.full(3, 1 / 3, np.float32)
    if len(sample):
        tint = np.median(sample / sample.sum(axis=1, keepdims=True), axis=0)
        tint /= tint.sum()
    channels = [channel.astype(np.float32) for channel in channels]
    total = channels[0] + channels[1] + channels[2]
    distance = np.abs(channels[0] - tint[0] * total)
    for channel, share in zip(channels[1:], tint[1:]):
        np.maximum(distance, np.abs(channel - share * total), out=distance)
    return distance


def _thin_marks(seeds: np.ndarray, rim: np.ndarray, group_distance: int,
                min_area: int, max_area: int,
                max_thick_fraction: float) -> np.ndarray:
    """The rim pixels of the seed groups that look drawn (see
    :func:`detect_overlays`)."""
    size = 2 * group_distance + 1
    grouped = cv2.dilate(seeds.astype(np.uint8),
                         cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                   (size, size)))
    count, labels = cv2.connectedComponents(grouped, connectivity=8)
    thick = cv2.erode(rim.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    areas = np.bincount(labels[seeds], minlength=count)
    thick_seeds = np.bincount(labels[seeds & thick], minlength=count)
    marks = ((areas >= min_area) & (areas <= max_area)
             & (thick_seeds <= max_thick_fraction * areas))
    marks[0] = False  # the background
    # A mark covers the rim pixels connected to its seeds (hysteresis) and
    # near them (rim pixels of speckle can chain far away).
    count, pieces = cv2.connectedComponents(rim.astype(np.uint8),
                                            connectivity=8)
    in_mark = marks[labels]
    covered = np.zeros(count, bool)
    covered[pieces[seeds & in_mark]] = True
    covered[0] = False
    return covered[pieces] & in_mark


def remove_overlays(img: np.ndarray,
                    inpaint_radius: int = 3,
                    margin: int = 1,
                    **detect_args) -> Tuple[np.ndarray, np.ndarray]:
    """Detect overlays and inpaint them (Navier-Stokes).

    Args:
        img (np.ndarray): ``(H, W, 3)`` BGR or ``(H, W)`` grey ``uint8``.
        inpaint_radius (int): Neighbourhood of the inpainting. Defaults to 3.
        margin (int): The mask is grown by this many pixels to cover the
            anti-aliased rim of the marks. Defaults to 1.
        **detect_args: Arguments of :func:`detect_overlays`.

    Returns:
        tuple: The cleaned image (same shape and type; ``img`` itself when
        nothing was found) and the inpainted mask.
    """
    mask = detect_overlays(img, **detect_args)
    if margin > 0 and mask.any():
        kernel = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
        mask = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
    if not mask.any():
        return img, mask
    cleaned = cv2.inpaint(img, mask.astype(np.uint8), inpaint_radius,
                          cv2.INPAINT_NS)
    return cleaned, mask


@TRANSFORMS.register_module()
class RemoveOverlays(BaseTransform):
    """Remove burned-in text, calipers, markers and colour overlays.

    Detects the overlay pixels (:func:`detect_overlays`) and fills them by
    Navier-Stokes inpainting, as done for USF-MAE pretraining. Use it right
    after loading, at the original resolution (the size limits are in
    original pixels). Dark marks (black text on bright tissue) are not
    detected.

    Required Keys:

    - img (``uint8``, grey or BGR)

    Modified Keys:

    - img

    Added Keys:

    - overlay_fraction (float): Share of the pixels inpainted.

    Args:
        inpaint_radius (int): Inpainting neighbourhood. Defaults to 3.
        margin (int): Growth of the mask over anti-aliased rims. Defaults
            to 1.
        **detect_args: Arguments of :func:`detect_overlays` (thresholds,
            mark sizes).
    """

    def __init__(self, inpaint_radius: int = 3, margin: int = 1,
                 **detect_args) -> None:
        allowed = set(inspect.signature(detect_overlays).parameters) - {'img'}
        unknown = set(detect_args) - allowed
        if unknown:
            raise TypeError(f'RemoveOverlays: unknown argument(s) '
                            f'{sorted(unknown)}')
        if inpaint_radius < 1 or margin < 0:
            raise ValueError(f'RemoveOverlays: inpaint_radius must be >= 1 '
                             f'and margin >= 0, got {inpaint_radius}, '
                             f'{margin}')
        self.inpaint_radius = inpaint_radius
        self.margin = margin
        self.detect_args = detect_args

    def transform(self, results: dict) -> dict:
        """Clean ``results['img']``."""
        img, mask = remove_overlays(results['img'], self.inpaint_radius,
                                    self.margin, **self.detect_args)
        results['img'] = img
        results['overlay_fraction'] = float(mask.mean())
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(inpaint_radius='
                f'{self.inpaint_radius}, margin={self.margin}, '
                f'detect_args={self.detect_args})')
