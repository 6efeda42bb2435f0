"""Probe geometries: linear (rectangle) and curved (sector) fields of view."""
import math
from typing import Tuple, Union

import numpy as np

from .config import FOV_MARGIN_PX, PhantomConfig


class LinearProbe:
    """Rectangular field of view; beams are image columns.

    Beam coordinates are fractions in [0, 1): ``depth`` along the beam and
    ``lateral`` across beams.

    Args:
        x0: First column of the rectangle.
        y0: First row of the rectangle.
        width: Width in pixels.
        height: Height (imaging depth) in pixels.
    """
    name = 'linear'

    def __init__(self, x0: int, y0: int, width: int, height: int) -> None:
        self.x0, self.y0, self.width, self.height = x0, y0, width, height
        self.depth_px = float(height)

    def to_beam(self, x: np.ndarray,
                y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Map pixel centres (x, y) to beam coordinates (depth, lateral)."""
        return (y - self.y0 + 0.5) / self.height, (x - self.x0 + 0.5) / self.width

    def from_beam(self, depth: np.ndarray,
                  lateral: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Map beam coordinates (depth, lateral) to pixel coordinates (x, y)."""
        return (self.x0 - 0.5 + lateral * self.width,
                self.y0 - 0.5 + depth * self.height)

    def aperture_px(self, depth: float) -> float:
        """Lateral extent of the field of view at a depth fraction, in pixels."""
        return float(self.width)

    def fits(self, x: float, y: float, radius: float, min_depth_px: float) -> bool:
        """Whether a disk lies inside the field of view, below ``min_depth_px``."""
        return (x - radius >= self.x0 + FOV_MARGIN_PX
                and x + radius <= self.x0 + self.width - 1 - FOV_MARGIN_PX
                and y - radius >= self.y0 + min_depth_px
                and y + radius <= self.y0 + self.height - 1 - FOV_MARGIN_PX)


class CurvedProbe:
    """Fan-shaped sector of a convex probe, with a virtual apex above the image.

    Args:
        apex_x: Apex column.
        apex_y: Apex row (negative: above the image).
        r0: Radius of the probe face (start of the imaged depth).
        r1: Radius of the deepest imaged point.
        half_angle: Half opening angle of the sector (radians).
    """
    name = 'curved'

    def __init__(self, apex_x: float, apex_y: float, r0: float, r1: float,
                 half_angle: float) -> None:
        self.apex_x, self.apex_y = apex_x, apex_y
        self.r0, self.r1, self.half_angle = r0, r1, half_angle
        self.depth_px = r1 - r0

    def to_beam(self, x: np.ndarray,
                y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Map pixel centres (x, y) to beam coordinates (depth, lateral)."""
        dx, dy = x - self.apex_x, y - self.apex_y
        radius = np.sqrt(dx * dx + dy * dy)
        angle = np.arctan2(dx, dy)
        return ((radius - self.r0) / self.depth_px,
                (angle + self.half_angle) / (2 * self.half_angle))

    def from_beam(self, depth: np.ndarray,
                  lateral: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Map beam coordinates (depth, lateral) to pixel coordinates (x, y)."""
        radius = self.r0 + depth * self.depth_px
        angle = (2 * lateral - 1) * self.half_angle
        return (self.apex_x + radius * np.sin(angle),
                self.apex_y + radius * np.cos(angle))

    def aperture_px(self, depth: float) -> float:
        """Arc length of the sector at a depth fraction, in pixels."""
        return (self.r0 + depth * self.depth_px) * 2 * self.half_angle

    def fits(self, x: float, y: float, radius: float, min_depth_px: float) -> bool:
        """Whether a disk lies inside the sector, below ``min_depth_px``."""
        dx, dy = x - self.apex_x, y - self.apex_y
        dist = math.hypot(dx, dy)
        to_edge = self.half_angle - abs(math.atan2(dx, dy))
        return (to_edge > 0
                and dist * math.sin(to_edge) >= radius + FOV_MARGIN_PX
                and dist - radius >= self.r0 + min_depth_px
                and dist + radius <= self.r1 - FOV_MARGIN_PX)


Probe = Union[LinearProbe, CurvedProbe]


def random_probe(rng: np.random.Generator, cfg: PhantomConfig) -> Probe:
    """Draw a linear or curved probe geometry that fits the image."""
    size = cfg.image_size
    if rng.random() >= cfg.curved_prob:
        width = int(round(size * rng.uniform(0.8, 1.0)))
        height = int(round(size * rng.uniform(0.85, 1.0)))
        top = int(rng.integers(0, size - height + 1))
        return LinearProbe((size - width) // 2, top, width, height)
    half_angle = math.radians(rng.uniform(25.0, 38.0))
    face_ratio = rng.uniform(0.15, 0.35)  # r0 / r1: how convex the probe is
    margin = 2.0
    # Largest fan that fits: width 2 r1 sin(a), height r1 (1 - ratio cos(a)).
    r1 = min((size - 2 * margin) / (2 * math.sin(half_angle)),
             (size - 2 * margin) / (1 - face_ratio * math.cos(half_angle)))
    r0 = face_ratio * r1
    # The corners of the inner arc touch the top margin.
    apex_y = margin - r0 * math.cos(half_angle)
    return CurvedProbe((size - 1) / 2, apex_y, r0, r1, half_angle)


def scan_maps(probe: Probe, size: int, shape: Tuple[int, int]
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scan-conversion maps (RF column, RF row per pixel) and the field of view."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    depth, lateral = probe.to_beam(xs, ys)
    fov = (depth >= 0) & (depth < 1) & (lateral >= 0) & (lateral < 1)
    return ((lateral * shape[1] - 0.5).astype(np.float32),
            (depth * shape[0] - 0.5).astype(np.float32), fov)
