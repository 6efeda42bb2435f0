"""Synthetic B-mode ultrasound phantoms with exact lesion instance masks.

Each image is simulated from first principles, in a simplified form:

1. The field of view of a linear (rectangle) or curved (fan-shaped sector) probe is
   sampled as a grid of RF lines (depth x line). Lesion shapes are defined in the
   final image frame, so their masks are exact, and are looked up on that grid.
2. Scatterers get Gaussian random amplitudes whose local RMS follows an
   echogenicity map (tissue layers, slow texture, lesions), plus a few sparse
   strong point reflectors.
3. Echoes are attenuated by the two-way path loss, integrated along every beam
   from a per-sample attenuation map: fluid-filled lesions barely attenuate
   (posterior enhancement), dense ones attenuate strongly (posterior shadowing).
   Electronic noise is added on receive.
4. The field is convolved with the point-spread function: a Gaussian beam
   laterally (narrowest at the focal depth) and a Gaussian-modulated cosine
   pulse axially. The axial convolution and the Hilbert transform are one FFT
   filter that keeps only positive frequencies, giving the analytic RF signal
   whose modulus is the envelope.
5. Partial time-gain compensation, scan conversion to the Cartesian image
   (``cv2.remap``), log compression into a 55-65 dB dynamic range, uint8.

:func:`write_phantom_coco` writes a deterministic COCO instance-segmentation
dataset of such images (see ``tools/dataset_converters/make_phantom.py``).
"""
import dataclasses
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

import cv2
import numpy as np
import scipy.fft
from pycocotools import mask as mask_utils

PHANTOM_VERSION = '1.1'
LESION_TYPES = ('hypoechoic', 'anechoic', 'hyperechoic')
SPLITS = ('train', 'test')

# A lesion is kept only if its whole bounding circle fits this far inside the field
# of view and this far from other lesions (pixels), so masks never touch.
_MARGIN_PX = 3.0
_LESION_GAP_PX = 4.0
_MAX_PLACEMENT_TRIES = 60


@dataclass(frozen=True)
class PhantomConfig:
    """Ranges the per-image parameters are drawn from (uniformly unless noted).

    Args:
        image_size: Side of the square output image in pixels.
        curved_prob: Probability of a curved (sector) probe instead of a linear one.
        num_lesions: Inclusive range of lesions attempted per image; fewer are
            kept when they do not fit (at least one always is).
        lesion_type_probs: Probabilities of ``LESION_TYPES``, in that order.
        lesion_diameter: Equivalent diameter range of a lesion, as a fraction of
            ``image_size`` (at most 0.3, so that lesions always fit the probe's
            field of view).
        min_area_frac: Smallest mask area kept, as a fraction of the image area.
        hypoechoic_db: Echogenicity of hypoechoic lesions relative to tissue (dB).
        hyperechoic_db: Echogenicity of hyperechoic lesions relative to tissue (dB).
        anechoic_db: Echogenicity of anechoic lesions relative to tissue (dB).
        shadow_prob: Probability of posterior shadowing for hypoechoic and
            hyperechoic lesions, respectively.
        enhancement_prob: Probability that a hypoechoic lesion is fluid-like and
            shows posterior enhancement (anechoic lesions always do).
        shadow_db: Extra two-way attenuation through a shadowing lesion (dB).
        attenuation_db: Two-way tissue attenuation over the full imaging depth (dB).
        tgc_compensation: Fraction of the nominal attenuation that time-gain
            compensation gives back.
        dynamic_range_db: Log-compression dynamic range (dB).
        tissue_gray: Mean gray level of reference tissue.
        noise_db: Electronic noise power relative to reference tissue (dB).
        axial_sigma_px: Pulse-envelope standard deviation along depth (pixels).
        lateral_sigma_px: Beam standard deviation at the focus (pixels).
        defocus_factor: How much wider the beam is far from the focus.
        fractional_bandwidth: Pulse -6 dB bandwidth over the carrier frequency.
        axial_oversampling: RF samples per output pixel of depth, so the carrier
            is resolved.
    """
    image_size: int = 256
    curved_prob: float = 0.5
    num_lesions: Tuple[int, int] = (1, 4)
    lesion_type_probs: Tuple[float, float, float] = (0.45, 0.25, 0.30)
    lesion_diameter: Tuple[float, float] = (0.10, 0.24)
    min_area_frac: float = 0.005
    hypoechoic_db: Tuple[float, float] = (-18.0, -10.0)
    hyperechoic_db: Tuple[float, float] = (10.0, 15.0)
    anechoic_db: float = -40.0
    shadow_prob: Tuple[float, float] = (0.25, 0.4)
    enhancement_prob: float = 0.15
    shadow_db: Tuple[float, float] = (6.0, 12.0)
    attenuation_db: Tuple[float, float] = (25.0, 45.0)
    tgc_compensation: Tuple[float, float] = (0.75, 1.0)
    dynamic_range_db: Tuple[float, float] = (55.0, 65.0)
    tissue_gray: Tuple[float, float] = (95.0, 125.0)
    noise_db: Tuple[float, float] = (-58.0, -48.0)
    axial_sigma_px: Tuple[float, float] = (0.8, 1.1)
    lateral_sigma_px: Tuple[float, float] = (1.0, 1.6)
    defocus_factor: Tuple[float, float] = (1.6, 2.4)
    fractional_bandwidth: Tuple[float, float] = (0.5, 0.8)
    axial_oversampling: int = 3

    def __post_init__(self) -> None:
        if not math.isclose(sum(self.lesion_type_probs), 1.0, abs_tol=1e-6):
            raise ValueError('lesion_type_probs must sum to 1, got '
                             f'{self.lesion_type_probs}')
        if not 0 < self.lesion_diameter[0] <= self.lesion_diameter[1] <= 0.3:
            raise ValueError(f'invalid lesion_diameter range {self.lesion_diameter}')
        if not 1 <= self.num_lesions[0] <= self.num_lesions[1]:
            raise ValueError(f'invalid num_lesions range {self.num_lesions}')
        # Otherwise even the smallest lesions could never be kept.
        smallest = math.pi * (self.lesion_diameter[0] / 2)**2
        if self.min_area_frac > 0.9 * smallest:
            raise ValueError(f'min_area_frac={self.min_area_frac} is not below the '
                             'area of the smallest lesion diameter '
                             f'{self.lesion_diameter[0]}')


class PhantomSample(NamedTuple):
    """One generated image.

    Attributes:
        image: uint8 (H, W) B-mode image, 0 outside the field of view.
        instances: One dict per lesion: ``mask`` (bool (H, W), inside ``fov``),
            ``lesion_type`` (one of ``LESION_TYPES``) and ``posterior``
            (``'shadow'``, ``'enhancement'`` or ``'none'``).
        fov: bool (H, W) field of view of the probe.
        probe: ``'linear'`` or ``'curved'``.
    """
    image: np.ndarray
    instances: List[dict]
    fov: np.ndarray
    probe: str


class _LinearProbe:
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
        return (x - radius >= self.x0 + _MARGIN_PX
                and x + radius <= self.x0 + self.width - 1 - _MARGIN_PX
                and y - radius >= self.y0 + min_depth_px
                and y + radius <= self.y0 + self.height - 1 - _MARGIN_PX)


class _CurvedProbe:
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
                and dist * math.sin(to_edge) >= radius + _MARGIN_PX
                and dist - radius >= self.r0 + min_depth_px
                and dist + radius <= self.r1 - _MARGIN_PX)


_Probe = Union[_LinearProbe, _CurvedProbe]


def _random_probe(rng: np.random.Generator, cfg: PhantomConfig) -> _Probe:
    """Draw a linear or curved probe geometry that fits the image."""
    size = cfg.image_size
    if rng.random() >= cfg.curved_prob:
        width = int(round(size * rng.uniform(0.8, 1.0)))
        height = int(round(size * rng.uniform(0.85, 1.0)))
        top = int(rng.integers(0, size - height + 1))
        return _LinearProbe((size - width) // 2, top, width, height)
    half_angle = math.radians(rng.uniform(25.0, 38.0))
    face_ratio = rng.uniform(0.15, 0.35)  # r0 / r1: how convex the probe is
    margin = 2.0
    # Largest fan that fits: width 2 r1 sin(a), height r1 (1 - ratio cos(a)).
    r1 = min((size - 2 * margin) / (2 * math.sin(half_angle)),
             (size - 2 * margin) / (1 - face_ratio * math.cos(half_angle)))
    r0 = face_ratio * r1
    # The corners of the inner arc touch the top margin.
    apex_y = margin - r0 * math.cos(half_angle)
    return _CurvedProbe((size - 1) / 2, apex_y, r0, r1, half_angle)


@dataclass
class _Lesion:
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


def _random_lesion(rng: np.random.Generator, cfg: PhantomConfig) -> _Lesion:
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
    return _Lesion(0.0, 0.0, semi_axes, rng.uniform(-np.pi / 3, np.pi / 3),
                   harmonics, bound_radius, lesion_type, posterior, echo_db)


def _lateral_span(probe: _Probe, lesion: _Lesion) -> Tuple[float, float]:
    """Range of beams (lateral fractions) crossing the lesion's bounding circle."""
    depth, lateral = probe.to_beam(lesion.x, lesion.y)
    half = lesion.bound_radius / probe.aperture_px(float(depth))
    return float(lateral) - half, float(lateral) + half


def _place_lesions(rng: np.random.Generator, cfg: PhantomConfig, probe: _Probe,
                   fov: np.ndarray) -> List[Tuple[_Lesion, np.ndarray]]:
    """Place non-overlapping lesions inside the field of view, at least one.

    Lesions never share beams with a shadowing lesion, so none hides in a shadow.

    Returns:
        Each lesion with its mask.
    """
    size = cfg.image_size
    min_depth_px = 0.08 * probe.depth_px  # leave the superficial layers free
    min_area = cfg.min_area_frac * size * size
    placed: List[Tuple[_Lesion, np.ndarray]] = []
    while not placed:
        for _ in range(int(rng.integers(cfg.num_lesions[0], cfg.num_lesions[1] + 1))):
            lesion = _random_lesion(rng, cfg)
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
    return placed


def _compatible(a: _Lesion, span_a: Tuple[float, float], b: _Lesion,
                span_b: Tuple[float, float]) -> bool:
    """Whether two lesions are apart and neither lies in the other's shadow."""
    gap = math.hypot(a.x - b.x, a.y - b.y) - a.bound_radius - b.bound_radius
    if gap < _LESION_GAP_PX:
        return False
    share_beams = span_a[0] < span_b[1] and span_b[0] < span_a[1]
    return not (share_beams and 'shadow' in (a.posterior, b.posterior))


def _smooth_noise(rng: np.random.Generator, grid: Tuple[int, int],
                  shape: Tuple[int, int], std: float) -> np.ndarray:
    """Slowly varying Gaussian noise: a coarse random grid upsampled to ``shape``."""
    coarse = rng.standard_normal(grid, dtype=np.float32) * np.float32(std)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _tissue_db(rng: np.random.Generator, probe: _Probe, depth: np.ndarray,
               lateral: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Background echogenicity (dB) on the RF grid: superficial layers separated by
    bright specular interfaces (skin, fascia), over a homogeneous deep tissue.

    Returns:
        The echogenicity and the mean level of the layer at each sample.
    """
    if probe.name == 'linear':
        num_layers, max_depth = int(rng.integers(2, 5)), 0.55
    else:
        num_layers, max_depth = int(rng.integers(1, 4)), 0.35
    starts = np.sort(rng.uniform(0.02, max_depth, num_layers))
    starts[0] = rng.uniform(0.0, 0.03)  # skin line right under the probe
    levels = np.append(rng.uniform(-6.0, 3.0, num_layers), 0.0)
    out = np.zeros((depth.size, lateral.size), dtype=np.float32)
    layer = np.zeros(out.shape, dtype=np.int32)
    for start in starts:
        amp, freq, phase = (rng.uniform(0, 0.025), rng.uniform(0.3, 1.5),
                            rng.uniform(0, 2 * np.pi))
        boundary = (start + amp * np.sin(2 * np.pi * freq * lateral + phase)
                    ).astype(np.float32)
        dist = depth[:, None] - boundary[None, :]
        layer += dist > 0
        # Specular interface: a thin bright band about one pixel thick. Only the
        # rows within 8 widths of the boundary are computed (exp(-32) ~ 1e-14).
        width = np.float32(rng.uniform(0.5, 1.0) / probe.depth_px)
        band = slice(*np.searchsorted(
            depth, (boundary.min() - 8 * width, boundary.max() + 8 * width)))
        out[band] += np.float32(rng.uniform(6.0, 12.0)) * np.exp(
            -0.5 * (dist[band] / width)**2)
    # ``layer`` counts the boundaries above a sample: the deepest layer is 0 dB.
    level = levels.astype(np.float32)[layer]
    return out + level, level


def _scan_maps(probe: _Probe, size: int, shape: Tuple[int, int]
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scan-conversion maps (RF column, RF row per pixel) and the field of view."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    depth, lateral = probe.to_beam(xs, ys)
    fov = (depth >= 0) & (depth < 1) & (lateral >= 0) & (lateral < 1)
    return ((lateral * shape[1] - 0.5).astype(np.float32),
            (depth * shape[0] - 0.5).astype(np.float32), fov)


def _axial_filter(num_samples: int, sigma: float, bandwidth: float) -> np.ndarray:
    """One-sided spectrum of the analytic Gaussian-modulated pulse.

    It is normalised so white unit-variance input gives unit mean envelope power.

    Args:
        num_samples: FFT length along depth.
        sigma: Standard deviation of the pulse envelope, in samples.
        bandwidth: Wanted -6 dB fractional bandwidth.
    """
    sigma_f = 1.0 / (2 * np.pi * sigma)
    # Carrier from the -6 dB bandwidth, kept low enough to stay below Nyquist.
    carrier = min(2.355 * sigma_f / bandwidth, 0.5 - 3 * sigma_f)
    freqs = np.fft.rfftfreq(num_samples)
    response = 2 * np.exp(-0.5 * ((freqs - carrier) / sigma_f)**2)
    response[0] /= 2  # DC and Nyquist are not doubled in an analytic signal
    if num_samples % 2 == 0:
        response[-1] /= 2
    response /= np.sqrt(np.sum(response**2) / num_samples)
    return response.astype(np.float32)


def _lateral_blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian beam along the lines, normalised to preserve speckle power."""
    half = int(math.ceil(3 * sigma))
    kernel = cv2.getGaussianKernel(2 * half + 1, sigma, cv2.CV_32F)
    kernel /= np.sqrt(np.sum(kernel**2))
    return cv2.sepFilter2D(field, -1, kernel, np.ones((1, 1), np.float32),
                           borderType=cv2.BORDER_REFLECT)


def generate_phantom(rng: np.random.Generator,
                     cfg: PhantomConfig = PhantomConfig()) -> PhantomSample:
    """Simulate one B-mode image with lesions (see the module docstring).

    Args:
        rng: Source of all randomness; the same state gives the same sample.
        cfg: Parameter ranges.

    Returns:
        The image, its lesion instances, field of view and probe type.
    """
    size = cfg.image_size
    shape = (cfg.axial_oversampling * size, size)  # RF samples x lines
    probe = _random_probe(rng, cfg)
    map_x, map_y, fov = _scan_maps(probe, size, shape)
    lesions = _place_lesions(rng, cfg, probe, fov)
    depth = ((np.arange(shape[0]) + 0.5) / shape[0]).astype(np.float32)
    lateral = ((np.arange(shape[1]) + 0.5) / shape[1]).astype(np.float32)

    tissue_db, tissue_level = _tissue_db(rng, probe, depth, lateral)
    loss_db = rng.uniform(*cfg.attenuation_db)
    row_px = probe.depth_px / shape[0]
    # Per-label lookup tables (label 0 is tissue): echogenicity and two-way
    # attenuation per RF sample, both in dB.
    echo_lut = [0.0]
    atten_lut = [loss_db / shape[0]]
    label = np.zeros((size, size), dtype=np.uint8)
    instances = []
    for lesion, mask in lesions:
        instances.append(dict(mask=mask, lesion_type=lesion.lesion_type,
                              posterior=lesion.posterior))
        label[mask] = len(instances)
        # Contrast is relative to the tissue layer around the lesion's centre.
        centre_depth, centre_lateral = probe.to_beam(lesion.x, lesion.y)
        echo_lut.append(lesion.echo_db + tissue_level[int(centre_depth * shape[0]),
                                                      int(centre_lateral * shape[1])])
        if lesion.posterior == 'shadow':
            # Spread the shadow's loss over the beam's path through the lesion.
            thickness_rows = 2 * math.sqrt(mask.sum() / math.pi) / row_px
            atten_lut.append(rng.uniform(*cfg.shadow_db) / thickness_rows)
        elif lesion.posterior == 'enhancement':
            # Fluid barely attenuates; solid lesions that enhance attenuate less.
            atten_lut.append((0.05 if lesion.lesion_type == 'anechoic' else 0.5)
                             * atten_lut[0])
        else:
            atten_lut.append(atten_lut[0])

    # Lesion labels on the RF grid, looked up from the exact image-frame masks.
    grid_x, grid_y = (np.ascontiguousarray(np.broadcast_to(g, shape), np.float32)
                      for g in probe.from_beam(depth[:, None], lateral[None, :]))
    label_rf = cv2.remap(label, grid_x, grid_y, cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    # Echogenicity: lesions replace the layered tissue; both get slow texture,
    # lesions an extra, finer internal heterogeneity.
    lesion_db = (np.asarray(echo_lut, np.float32)[label_rf]
                 + _smooth_noise(rng, (12, 12), shape, 1.0))
    echo_db = np.where(label_rf > 0, lesion_db, tissue_db)
    echo_db += _smooth_noise(rng, (6, 6), shape, 1.5)
    # Beer-Lambert along each beam: the echo of a sample crossed everything above.
    path_db = np.cumsum(np.asarray(atten_lut, np.float32)[label_rf], axis=0)
    # 10 ** (dB / 10), as exp: several times faster than np.power on float32.
    echo_power = np.exp((echo_db - path_db) * np.float32(math.log(10) / 10))
    # Electronic (receive) noise is white Gaussian like the diffuse scatterers and
    # independent of them, so both are drawn at once with their summed power.
    noise_power = np.float32(10 ** (rng.uniform(*cfg.noise_db) / 10))
    field = (rng.standard_normal(shape, dtype=np.float32)
             * np.sqrt(echo_power + noise_power))
    # Sparse strong point reflectors on top of the diffuse scatterers.
    points = rng.integers(0, field.size, field.size // 500)
    field.flat[points] += (np.float32(4) * np.sqrt(echo_power.flat[points])
                           * rng.standard_normal(points.size, dtype=np.float32))

    # Lateral beam: sharpest at the focal depth, blending to a defocused beam.
    focus = rng.uniform(0.3, 0.7)
    sigma_lines = (rng.uniform(*cfg.lateral_sigma_px) * shape[1]
                   / probe.aperture_px(focus))
    wide = _lateral_blur(field, sigma_lines * rng.uniform(*cfg.defocus_factor))
    sharp = _lateral_blur(field, sigma_lines)
    defocus = (np.clip(np.abs(depth - focus) / 0.5, 0, 1)**2)[:, None]
    field = sharp + defocus * (wide - sharp)

    # Axial pulse and Hilbert transform in one positive-frequency FFT filter.
    # Zero padding stops the circular convolution from wrapping the bright near
    # field into the (TGC-amplified) far field.
    sigma_rows = rng.uniform(*cfg.axial_sigma_px) / row_px
    num_fft = scipy.fft.next_fast_len(shape[0] + int(math.ceil(4 * sigma_rows)))
    response = _axial_filter(num_fft, sigma_rows,
                             rng.uniform(*cfg.fractional_bandwidth))
    spectrum = np.zeros((num_fft, shape[1]), dtype=np.complex64)
    spectrum[:response.size] = (scipy.fft.rfft(field, num_fft, axis=0)
                                * response[:, None])
    analytic = scipy.fft.ifft(spectrum, axis=0)[:shape[0]]
    power = analytic.real**2 + analytic.imag**2

    # Partial time-gain compensation with a slightly uneven slider curve.
    tgc_db = (rng.uniform(*cfg.tgc_compensation) * loss_db * depth
              + np.interp(depth, np.linspace(0, 1, 5), rng.uniform(-1.5, 1.5, 5)))
    power *= np.power(10.0, tgc_db / 10).astype(np.float32)[:, None]

    # Scan conversion, then log compression into the dynamic range.
    power = cv2.remap(power, map_x, map_y, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE)
    dynamic_range = rng.uniform(*cfg.dynamic_range_db)
    # Rayleigh speckle of unit power averages -2.5 dB in log scale.
    gain_db = rng.uniform(*cfg.tissue_gray) / 255 * dynamic_range + 2.5
    gray = ((10 * np.log10(power + np.float32(1e-12)) + np.float32(gain_db))
            * np.float32(255 / dynamic_range))
    image = np.clip(np.rint(gray), 0, 255).astype(np.uint8)
    image[~fov] = 0
    return PhantomSample(image, instances, fov, probe.name)


def _encode_instance(mask: np.ndarray) -> Tuple[dict, float, List[float]]:
    """COCO RLE (counts as str), area and [x, y, w, h] box of a bool mask."""
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    rle['counts'] = rle['counts'].decode('ascii')
    rows, cols = np.nonzero(mask)
    x0, y0 = int(cols.min()), int(rows.min())
    box = [float(x0), float(y0), float(cols.max() - x0 + 1), float(rows.max() - y0 + 1)]
    return rle, float(mask.sum()), box


def _prepare_output(out_dir: Path, overwrite: bool) -> None:
    """Refuse a non-empty ``out_dir`` unless ``overwrite``; then remove only the
    paths this writer owns, so stale images of an earlier run cannot linger."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f'{out_dir} exists and is not a directory')
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f'{out_dir} already exists and is not empty; refusing to overwrite it. '
                'Choose another output directory, or pass --overwrite '
                '(overwrite=True) to replace its images/{train,test} and '
                'annotations/{train,test}.json')
        for split in SPLITS:
            images = out_dir / 'images' / split
            if images.is_dir():
                shutil.rmtree(images)
            (out_dir / 'annotations' / f'{split}.json').unlink(missing_ok=True)


def write_phantom_coco(out_dir: Union[str, Path],
                       num_train: int,
                       num_test: int,
                       seed: int,
                       image_size: int = 256,
                       overwrite: bool = False,
                       config: Optional[PhantomConfig] = None) -> Dict[str, dict]:
    """Write a phantom dataset in COCO instance-segmentation format.

    Layout: ``out_dir/images/{train,test}/NNNNNN.png`` and
    ``out_dir/annotations/{train,test}.json``; ``file_name`` is relative to
    ``images/``. A single class-agnostic category ``object`` is used, and every
    annotation carries an extra ``lesion_type``. Image ``i`` of a split always
    comes from the seed sequence ``(seed, split index, i)``, so the output is
    byte-identical for the same arguments and an image does not change with the
    size of the splits.

    Args:
        out_dir: Dataset root.
        num_train: Number of training images.
        num_test: Number of test images.
        seed: Non-negative base seed.
        image_size: Side of the square images.
        overwrite: Replace an existing dataset in a non-empty ``out_dir``.
        config: Generator settings; defaults to ``PhantomConfig(image_size)``.

    Returns:
        Per split, the annotation file path and the image and instance counts.

    Raises:
        FileExistsError: If ``out_dir`` is not empty and ``overwrite`` is False.
    """
    if num_train < 0 or num_test < 0:
        raise ValueError('image counts must be non-negative')
    if seed < 0:
        raise ValueError(f'seed must be non-negative, got {seed}')
    if config is None:
        config = PhantomConfig(image_size=image_size)
    elif config.image_size != image_size:
        raise ValueError(f'config.image_size={config.image_size} differs from '
                         f'image_size={image_size}')
    out_dir = Path(out_dir)
    _prepare_output(out_dir, overwrite)
    (out_dir / 'annotations').mkdir(parents=True, exist_ok=True)

    summary = {}
    for split_index, (split, count) in enumerate(zip(SPLITS, (num_train, num_test))):
        (out_dir / 'images' / split).mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for index in range(count):
            rng = np.random.default_rng(
                np.random.SeedSequence(seed, spawn_key=(split_index, index)))
            sample = generate_phantom(rng, config)
            image_id = index + 1
            file_name = f'{split}/{image_id:06d}.png'
            if not cv2.imwrite(str(out_dir / 'images' / file_name), sample.image,
                               [cv2.IMWRITE_PNG_COMPRESSION, 3]):
                raise OSError(f'could not write {out_dir / "images" / file_name}')
            images.append(dict(id=image_id, file_name=file_name, height=image_size,
                               width=image_size, probe=sample.probe))
            for instance in sample.instances:
                rle, area, box = _encode_instance(instance['mask'])
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id, category_id=1,
                    segmentation=rle, area=area, bbox=box, iscrowd=0,
                    lesion_type=instance['lesion_type']))
        coco = dict(
            info=dict(description=f'UltraSam synthetic B-mode phantom ({split})',
                      generator='ultrasam.datasets.phantom',
                      generator_version=PHANTOM_VERSION, seed=seed, split=split,
                      config=dataclasses.asdict(config)),
            images=images, annotations=annotations,
            categories=[dict(id=1, name='object')])
        ann_file = out_dir / 'annotations' / f'{split}.json'
        ann_file.write_text(json.dumps(coco, sort_keys=True, separators=(',', ':')),
                            encoding='utf-8')
        summary[split] = dict(ann_file=str(ann_file), images=len(images),
                              instances=len(annotations))
    return summary
