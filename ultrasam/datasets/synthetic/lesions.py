"""Lesion shapes, acoustic types and their placement inside the field of view."""
import math
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from .config import LESION_TYPES, PhantomConfig
from .probes import Probe

# Lesions are kept this far apart (pixels, between bounding circles), so masks
# never touch.
_LESION_GAP_PX = 4.0
# Positions tried for one lesion before it is dropped.
_MAX_PLACEMENT_TRIES = 60
# Rounds of lesions drawn until at least one fits. Above MIN_IMAGE_SIZE with the
# default ranges a round fails in at most ~15 % of cases, so this bound only
# stops a configuration that can never place a lesion instead of looping forever.
_MAX_PLACEMENT_ROUNDS = 100


@dataclass
class Lesion:
    """An irregular lesion: a rotated ellipse whose radius is modulated by a few
    random Fourier harmonics, plus its acoustic properties."""
    x: float
    y: float
    semi_axes: Tuple[float, float]
    rotation: float
    harmonics: np.ndarray  # (K, 3): order, amplitude, phase
    bound_radius: float
    lesion_type: str
    posterior: str
    echo_db: float

    def mask(self, height: int, width: int) -> np.ndarray:
        """Rasterise the lesion on pixel centres: bool (height, width)."""
        out = np.zeros((height, width), dtype=bool)
        x_lo = max(int(math.floor(self.x - self.bound_radius)), 0)
        x_hi = min(int(math.ceil(self.x + self.bound_radius)) + 1, width)
        y_lo = max(int(math.floor(self.y - self.bound_radius)), 0)
        y_hi = min(int(math.ceil(self.y + self.bound_radius)) + 1, height)
        if x_lo >= x_hi or y_lo >= y_hi:
            return out
        dx = np.arange(x_lo, x_hi, dtype=np.float64)[None, :] - self.x
        dy = np.arange(y_lo, y_hi, dtype=np.float64)[:, None] - self.y
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        u = (dx * cos + dy * sin) / self.semi_axes[0]
        v = (dy * cos - dx * sin) / self.semi_axes[1]
        out[y_lo:y_hi, x_lo:x_hi] = np.hypot(u, v) <= _radial_profile(
            np.arctan2(v, u), self.harmonics)
        return out


def _radial_profile(phi: np.ndarray, harmonics: np.ndarray) -> np.ndarray:
    """Relative boundary radius at polar angles ``phi``."""
    radius = np.ones_like(phi)
    for order, amplitude, phase in harmonics:
        radius += amplitude * np.cos(order * phi + phase)
    return radius


def random_lesion(rng: np.random.Generator,
                  cfg: PhantomConfig) -> Lesion:
    """Draw a lesion's type, acoustics and shape; its position is set later."""
    lesion_type = LESION_TYPES[rng.choice(len(LESION_TYPES),
                                          p=cfg.lesion_type_probs)]
    if lesion_type == 'anechoic':
        echo_db, posterior = cfg.anechoic_db, 'enhancement'
    elif lesion_type == 'hypoechoic':
        echo_db = rng.uniform(*cfg.hypoechoic_db)
        draw = rng.random()
        posterior = ('shadow' if draw < cfg.shadow_prob[0] else
                     'enhancement' if draw < cfg.shadow_prob[0] + cfg.enhancement_prob
                     else 'none')
    else:
        echo_db = rng.uniform(*cfg.hyperechoic_db)
        posterior = 'shadow' if rng.random() < cfg.shadow_prob[1] else 'none'

    radius = 0.5 * cfg.image_size * rng.uniform(*cfg.lesion_diameter)
    aspect = rng.uniform(1.0, 1.6)  # keeps the ellipse area pi * radius^2
    semi_axes = (radius * math.sqrt(aspect), radius / math.sqrt(aspect))
    # Low orders give lobulated outlines; some lesions also get fine
    # microlobulation from higher orders.
    orders = np.arange(2, 7, dtype=np.float64)
    amplitudes = rng.uniform(0.0, 0.16, orders.size) / orders**0.6
    if rng.random() < 0.4:
        orders = np.concatenate([orders, np.arange(8, 13, dtype=np.float64)])
        amplitudes = np.concatenate([amplitudes, rng.uniform(0.0, 0.03, 5)])
    harmonics = np.stack(
        [orders, amplitudes, rng.uniform(0, 2 * np.pi, orders.size)], axis=1)
    phi = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    bound_radius = max(semi_axes) * float(_radial_profile(phi, harmonics).max())
    return Lesion(0.0, 0.0, semi_axes, rng.uniform(-np.pi / 3, np.pi / 3),
                  harmonics, bound_radius, lesion_type, posterior, echo_db)


def _lateral_span(probe: Probe, lesion: Lesion) -> Tuple[float, float]:
    """Range of beams (lateral fractions) crossing the lesion's bounding circle."""
    depth, lateral = probe.to_beam(lesion.x, lesion.y)
    half = lesion.bound_radius / probe.aperture_px(float(depth))
    return float(lateral) - half, float(lateral) + half


def place_lesions(rng: np.random.Generator, cfg: PhantomConfig, probe: Probe,
                  fov: np.ndarray) -> List[Tuple[Lesion, np.ndarray]]:
    """Place non-overlapping lesions inside the field of view, at least one.

    Lesions never share beams with a shadowing lesion, so none hides in a shadow.

    Returns:
        Each lesion with its mask.

    Raises:
        ValueError: If no lesion fits in ``_MAX_PLACEMENT_ROUNDS`` rounds, which
            happens only for images too small for ``cfg``'s lesion ranges.
    """
    size = cfg.image_size
    min_depth_px = 0.08 * probe.depth_px  # leave the superficial layers free
    min_area = cfg.min_area_frac * size * size
    placed: List[Tuple[Lesion, np.ndarray]] = []
    for _ in range(_MAX_PLACEMENT_ROUNDS):
        for _ in range(int(rng.integers(cfg.num_lesions[0], cfg.num_lesions[1] + 1))):
            lesion = random_lesion(rng, cfg)
            for _ in range(_MAX_PLACEMENT_TRIES):
                lesion.x, lesion.y = rng.uniform(0, size - 1, 2)
                if not probe.fits(lesion.x, lesion.y, lesion.bound_radius,
                                  min_depth_px):
                    continue
                span = _lateral_span(probe, lesion)
                if all(_compatible(lesion, span, other, _lateral_span(probe, other))
                       for other, _ in placed):
                    mask = lesion.mask(size, size) & fov
                    if mask.sum() >= min_area:
                        placed.append((lesion, mask))
                    break
        if placed:
            return placed
    raise ValueError(
        f'no lesion fits the {probe.name} probe\'s field of view of a '
        f'{size}x{size} image in {_MAX_PLACEMENT_ROUNDS} rounds (lesion_diameter='
        f'{cfg.lesion_diameter} of image_size, min_area_frac={cfg.min_area_frac}); '
        'use a larger image_size or smaller lesions')


def _compatible(a: Lesion, span_a: Tuple[float, float], b: Lesion,
                span_b: Tuple[float, float]) -> bool:
    """Whether two lesions are apart and neither lies in the other's shadow."""
    gap = math.hypot(a.x - b.x, a.y - b.y) - a.bound_radius - b.bound_radius
    if gap < _LESION_GAP_PX:
        return False
    share_beams = span_a[0] < span_b[1] and span_b[0] < span_a[1]
    return not (share_beams and 'shadow' in (a.posterior, b.posterior))
