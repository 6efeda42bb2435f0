"""Phantom generator settings, the generated sample and the generator's identity."""
import math
from dataclasses import dataclass
from typing import List, NamedTuple, Tuple

import numpy as np

# Recorded in every set's COCO ``info``; bump the version whenever the output for
# the same arguments changes (the quickstart and SyntheticPhantomDataset refuse
# sets of another version).
PHANTOM_VERSION = '1.1'
# The ``info.generator`` of every set. It names the module of version 1.0 and is
# part of the written bytes, so it stays although the code has moved.
GENERATOR_NAME = 'ultrasam.datasets.phantom'
LESION_TYPES = ('hypoechoic', 'anechoic', 'hyperechoic')
# A lesion's bounding circle must stay this far inside the field of view (pixels).
FOV_MARGIN_PX = 3.0
# Below this side the fixed pixel margins of lesion placement (FOV_MARGIN_PX from
# the edge of the field of view, 8 % of the depth kept free under the probe) leave
# almost no room for even the smallest lesion in a wide curved-probe sector: at
# 32 px a placement round succeeds in >= 85 % of cases for the worst probe
# geometry, at 24 px in about 50 %, at 16 px in none.
MIN_IMAGE_SIZE = 32


@dataclass(frozen=True)
class PhantomConfig:
    """Ranges the per-image parameters are drawn from (uniformly unless noted).

    Args:
        image_size: Side of the square output image in pixels, at least
            ``MIN_IMAGE_SIZE``.
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
        check_int('image_size', self.image_size, MIN_IMAGE_SIZE,
                  why='smaller images leave no room for a lesion inside the '
                  f'probe\'s field of view, {FOV_MARGIN_PX:g} px from its edge')
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


def check_int(name: str, value: object, minimum: int, why: str = '') -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is an int >= ``minimum``.

    Args:
        name: Argument name for the message.
        value: Value to check; bools and floats are refused.
        minimum: Smallest accepted value.
        why: Reason for the minimum, appended to the message.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'{name} must be an integer, got {value!r} '
                         f'({type(value).__name__})')
    if value < minimum:
        raise ValueError(f'{name} must be at least {minimum}, got {value}'
                         + (f': {why}' if why else ''))
