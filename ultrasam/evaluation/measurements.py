"""Clinical measurements of a segmentation mask, in millimetres when the image
is calibrated and in pixels otherwise.

The measured object is the largest 8-connected component of the mask with its
holes filled (a lesion is measured as one region, as with calipers). Its
outline is the marching-squares contour at level 0.5 of the mask smoothed
over :data:`SMOOTHING_PX` (which removes the staircase of the pixel grid; a
structure about a pixel thin is traced unsmoothed): it runs along the pixel
edges, so a rectangle of ``w`` pixels measures ``w`` pixels across (its
corners slightly rounded). Every length is computed after scaling x by the
column spacing and y by the row spacing, so anisotropic pixels are measured
correctly.

- ``area``: pixel count times the pixel area.
- ``perimeter``: length of the outline.
- ``long_axis``: longest distance between two outline points (maximum Feret
  diameter), with its end points (the clinical first caliper).
- ``short_axis``: the longest extent of the object along a line
  perpendicular to the long axis (the second caliper), with its end points.
- ``ellipse_major`` / ``ellipse_minor`` / ``ellipse_angle_deg``: full axes of
  the ellipse with the same second moments as the object (4 sqrt of the
  eigenvalues of the coordinate covariance) and the angle of its major axis
  from the image x axis (degrees, y pointing down).
- ``echo_inside`` / ``echo_ring``: mean gray level inside the object and in
  a ring around it (from the object's edge to half its equivalent-circle
  radius away, at least one pixel, inside the image), with ``contrast_ratio`` (inside / ring) and
  ``cnr`` ((inside - ring) / sqrt(var inside + var ring)): the
  lesion-to-background contrast. Only when an image is given.
"""
import math
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import contourpy
import cv2
import numpy as np
from scipy import ndimage

from ..structures.calibration import PixelCalibration
from ..utils import to_numpy

#: Ring width around the object for the background echo level, as a fraction
#: of its equivalent-circle radius.
RING_SCALE = 0.5
#: Gaussian smoothing of the mask before its outline is traced, in pixels of
#: the coarser axis (the same physical width along both axes): it removes the
#: staircase of the pixel grid, which lengthens the traced outline of an
#: ellipse by 5-10 % (under 1 % is left at this value; measured on ellipses
#: of 10-45 px semi-axes at isotropic and 2:1 anisotropic spacings).
SMOOTHING_PX = 1.0
# Smallest fraction of the object's pixels the smoothed mask must keep.
_KEEP_FRACTION = 0.9
# Zero border added before smoothing (one pixel of it is kept for the trace).
_PAD = 4
# Candidate lines of the perpendicular-extent search per vectorised chunk.
_CHUNK = 256

Point = Tuple[float, float]


@dataclass
class MaskMeasurements:
    """Measurements of one object; lengths in ``unit``, areas in ``unit``^2.

    End points (``long_axis_points``, ``short_axis_points``) are (x, y)
    pixel coordinates of the image, for drawing calipers.
    """
    unit: str
    pixel_spacing: Optional[Tuple[float, float]]
    calibration_note: str
    num_components: int
    area: float
    perimeter: float
    long_axis: float
    short_axis: float
    long_axis_points: Tuple[Point, Point]
    short_axis_points: Tuple[Point, Point]
    ellipse_major: float
    ellipse_minor: float
    ellipse_angle_deg: float
    echo_inside: Optional[float] = None
    echo_ring: Optional[float] = None
    contrast_ratio: Optional[float] = None
    cnr: Optional[float] = None

    def to_dict(self, decimals: int = 4) -> Dict[str, object]:
        """JSON-friendly dict with floats rounded to ``decimals``."""
        def rounded(value: object) -> object:
            if isinstance(value, float):
                return round(value, decimals)
            if isinstance(value, (tuple, list)):
                return [rounded(v) for v in value]
            return value

        return {key: rounded(value) for key, value in asdict(self).items()}


def measure_mask(mask: np.ndarray,
                 calibration: Optional[PixelCalibration] = None,
                 image: Optional[np.ndarray] = None,
                 ring_scale: float = RING_SCALE) -> MaskMeasurements:
    """Measure the largest object of a mask (see the module docstring).

    Args:
        mask (np.ndarray | Tensor): (H, W) bool mask with at least one
            pixel (a tensor on any device is brought to the host).
        calibration (PixelCalibration, optional): Calibration of the image;
            without a spacing that applies to the object, everything is in
            pixels and ``calibration_note`` says why.
        image (np.ndarray | Tensor, optional): (H, W) gray or (H, W, 3)
            image of the same size, for the echogenicity values.
        ring_scale (float): Ring width as a fraction of the equivalent-circle
            radius. Defaults to :data:`RING_SCALE`.

    Returns:
        MaskMeasurements: the measurements.
    """
    mask = to_numpy(mask)
    if image is not None:
        image = to_numpy(image)
    if mask.ndim != 2:
        raise ValueError(f'mask must be (H, W), got shape {mask.shape}')
    if image is not None and image.shape[:2] != mask.shape:
        raise ValueError(f'image of shape {image.shape} does not match the '
                         f'mask of shape {mask.shape}')
    labels, num = ndimage.label(mask.astype(bool), structure=np.ones((3, 3)))
    if num == 0:
        raise ValueError('the mask is empty: nothing to measure')
    sizes = np.bincount(labels.ravel())[1:]
    largest = int(np.argmax(sizes)) + 1
    rows_slice, cols_slice = ndimage.find_objects(labels)[largest - 1]
    box = (cols_slice.start, rows_slice.start, cols_slice.stop - 1,
           rows_slice.stop - 1)
    spacing, note = (None, 'no calibration given') if calibration is None \
        else calibration.spacing_for(box)
    unit = 'px' if spacing is None else 'mm'
    dy, dx = (1.0, 1.0) if spacing is None else spacing

    # Work in a window around the object that holds the echo ring (its
    # equivalent radius bounds the ring width) and the smoothing border.
    radius = math.sqrt(sizes[largest - 1] * dx * dy / math.pi)
    margin = int(math.ceil(
        max(ring_scale * radius, dx, dy) / min(dx, dy))) + _PAD
    y0, x0 = max(box[1] - margin, 0), max(box[0] - margin, 0)
    window = (slice(y0, box[3] + margin + 1), slice(x0, box[2] + margin + 1))
    obj = ndimage.binary_fill_holes(labels[window] == largest)
    rows, cols = np.nonzero(obj)

    scale = np.array([dx, dy])
    offset = np.array([x0, y0])
    loops = [(line + offset) * scale for line in _outlines(obj, (dy, dx))]
    perimeter = float(
        sum(np.linalg.norm(np.diff(loop, axis=0), axis=1).sum()
            for loop in loops))
    long_pts, long_len = _feret(np.concatenate(loops))
    short_pts, short_len = _perpendicular_extent(loops, long_pts)

    centred = np.stack([cols * dx, rows * dy], axis=1)
    centred = centred - centred.mean(axis=0)
    cov = centred.T @ centred / len(centred)
    eigvals, eigvecs = np.linalg.eigh(cov)
    major_vec = eigvecs[:, 1]
    angle = math.degrees(math.atan2(major_vec[1], major_vec[0]))
    angle = (angle + 90.0) % 180.0 - 90.0
    result = MaskMeasurements(
        unit=unit,
        pixel_spacing=spacing,
        calibration_note=note,
        num_components=int(num),
        area=float(obj.sum()) * dx * dy,
        perimeter=perimeter,
        long_axis=long_len,
        short_axis=short_len,
        long_axis_points=_to_pixels(long_pts, scale),
        short_axis_points=_to_pixels(short_pts, scale),
        ellipse_major=4 * math.sqrt(max(float(eigvals[1]), 0.0)),
        ellipse_minor=4 * math.sqrt(max(float(eigvals[0]), 0.0)),
        ellipse_angle_deg=angle)
    if image is not None:
        _add_echogenicity(result, obj, image[window], (dy, dx), ring_scale)
    return result


def _outlines(obj: np.ndarray,
              spacing: Tuple[float, float]) -> List[np.ndarray]:
    """Closed outlines (x, y) of a filled object: one loop, or several
    meeting at single points where the object is only 8-connected.

    The mask is smoothed first (:data:`SMOOTHING_PX`) unless that would
    shrink it (structures about a pixel thin vanish at level 0.5).
    """
    coarse = max(spacing)
    sigma = [SMOOTHING_PX * coarse / step for step in spacing]
    padded = np.pad(obj.astype(np.float64), _PAD)
    smooth = ndimage.gaussian_filter(padded, sigma)
    if (smooth >= 0.5).sum() >= _KEEP_FRACTION * obj.sum():
        padded = smooth
    trimmed = padded[_PAD - 1:1 - _PAD, _PAD - 1:1 - _PAD]
    return [line - 1.0 for line in
            contourpy.contour_generator(z=trimmed).lines(0.5)]


def _feret(points: np.ndarray) -> Tuple[np.ndarray, float]:
    """End points (2, 2) and length of the longest chord of a point set."""
    hull = _convex_hull(points)
    diff = hull[:, None, :] - hull[None, :, :]
    dist = np.einsum('ijk,ijk->ij', diff, diff)
    i, j = np.unravel_index(np.argmax(dist), dist.shape)
    return np.stack([hull[i], hull[j]]), float(math.sqrt(dist[i, j]))


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices (M, 2) of the convex hull of a point set."""
    return cv2.convexHull(points.astype(np.float32))[:, 0].astype(np.float64)


def _perpendicular_extent(loops: List[np.ndarray],
                          long_pts: np.ndarray) -> Tuple[np.ndarray, float]:
    """Longest extent of the closed outline ``loops`` along a line
    perpendicular to the long axis: end points (2, 2) and length.

    In the frame rotated so that the long axis is the u axis, the extent
    along the line u = c is max - min of the outline's crossings; it is
    piecewise linear in c with breaks at vertices, so its maximum is at a
    vertex's u.
    """
    axis = long_pts[1] - long_pts[0]
    norm = float(np.linalg.norm(axis))
    if norm == 0:
        return np.stack([long_pts[0], long_pts[0]]), 0.0
    u_dir = axis / norm
    v_dir = np.array([-u_dir[1], u_dir[0]])
    starts = np.concatenate([loop[:-1] for loop in loops])
    ends = np.concatenate([loop[1:] for loop in loops])
    u1, u2 = starts @ u_dir, ends @ u_dir
    v1, v2 = starts @ v_dir, ends @ v_dir
    moving = u1 != u2
    u1, u2, v1, v2 = u1[moving], u2[moving], v1[moving], v2[moving]
    lo, hi = np.minimum(u1, u2), np.maximum(u1, u2)
    slope = (v2 - v1) / (u2 - u1)
    best, best_c, best_v = -1.0, 0.0, (0.0, 0.0)
    candidates = np.unique(u1)
    for start in range(0, len(candidates), _CHUNK):
        c = candidates[start:start + _CHUNK, None]
        hit = (c >= lo) & (c <= hi)
        crossing = v1 + (c - u1) * slope
        top = np.where(hit, crossing, -np.inf).max(axis=1)
        bottom = np.where(hit, crossing, np.inf).min(axis=1)
        extent = np.where(np.isfinite(top) & np.isfinite(bottom),
                          top - bottom, -1.0)
        k = int(np.argmax(extent))
        if extent[k] > best:
            best, best_c = float(extent[k]), float(c[k, 0])
            best_v = (float(bottom[k]), float(top[k]))
    caliper = np.stack([best_c * u_dir + best_v[0] * v_dir,
                        best_c * u_dir + best_v[1] * v_dir])
    return caliper, max(best, 0.0)


def _to_pixels(points: np.ndarray,
               scale: np.ndarray) -> Tuple[Point, Point]:
    pixels = points / scale
    return (tuple(map(float, pixels[0])), tuple(map(float, pixels[1])))


def _add_echogenicity(result: MaskMeasurements, obj: np.ndarray,
                      image: np.ndarray, spacing: Tuple[float, float],
                      ring_scale: float) -> None:
    """Fill the echo fields of ``result`` (see the module docstring)."""
    gray = image.astype(np.float64)
    if gray.ndim == 3:
        gray = gray.mean(axis=2)
    radius = math.sqrt(result.area / math.pi)
    distance = ndimage.distance_transform_edt(~obj, sampling=spacing)
    ring = (distance > 0) & (distance <= max(ring_scale * radius,
                                             max(spacing)))
    inside = gray[obj]
    outside = gray[ring]
    result.echo_inside = float(inside.mean())
    if outside.size == 0:
        return
    result.echo_ring = float(outside.mean())
    if result.echo_ring > 0:
        result.contrast_ratio = result.echo_inside / result.echo_ring
    spread = math.sqrt(float(inside.var()) + float(outside.var()))
    if spread > 0:
        result.cnr = (result.echo_inside - result.echo_ring) / spread
