"""B-mode image formation: one synthetic ultrasound phantom with exact lesion masks.

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
"""
import math
from typing import List, Tuple

import cv2
import numpy as np
import scipy.fft

from .acoustics import (axial_filter, lateral_blur, layered_tissue_db,
                        smooth_noise)
from .config import PhantomConfig, PhantomSample
from .lesions import Lesion, place_lesions
from .probes import Probe, random_probe, scan_maps


def generate_phantom(rng: np.random.Generator,
                     cfg: PhantomConfig = PhantomConfig()) -> PhantomSample:
    """Simulate one B-mode image with lesions (see the module docstring).

    Args:
        rng: Source of all randomness; the same state gives the same sample.
        cfg: Parameter ranges.

    Returns:
        The image, its lesion instances, field of view and probe type.

    Raises:
        ValueError: If no lesion fits the image (see ``place_lesions``).
    """
    probe = random_probe(rng, cfg)
    maps = scan_maps(probe, cfg.image_size, rf_shape(cfg))
    lesions = place_lesions(rng, cfg, probe, maps[2])
    return form_image(rng, cfg, probe, maps, lesions)


def rf_shape(cfg: PhantomConfig) -> Tuple[int, int]:
    """RF samples x lines of the simulation grid."""
    return (cfg.axial_oversampling * cfg.image_size, cfg.image_size)


def form_image(rng: np.random.Generator, cfg: PhantomConfig, probe: Probe,
               maps: Tuple[np.ndarray, np.ndarray, np.ndarray],
               lesions: List[Tuple[Lesion, np.ndarray]]) -> PhantomSample:
    """Steps 2-5 of the module docstring for placed lesions.

    Args:
        rng: Source of the tissue, speckle and system randomness.
        cfg: Parameter ranges.
        probe: The probe geometry.
        maps: ``scan_maps(probe, cfg.image_size, rf_shape(cfg))``.
        lesions: Each lesion with its mask (inside the field of view).

    Returns:
        The image, its lesion instances, field of view and probe type.
    """
    size = cfg.image_size
    shape = rf_shape(cfg)
    map_x, map_y, fov = maps
    depth = ((np.arange(shape[0]) + 0.5) / shape[0]).astype(np.float32)
    lateral = ((np.arange(shape[1]) + 0.5) / shape[1]).astype(np.float32)

    tissue_db, tissue_level = layered_tissue_db(rng, probe, depth, lateral)
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
                 + smooth_noise(rng, (12, 12), shape, 1.0))
    echo_db = np.where(label_rf > 0, lesion_db, tissue_db)
    echo_db += smooth_noise(rng, (6, 6), shape, 1.5)
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
    wide = lateral_blur(field, sigma_lines * rng.uniform(*cfg.defocus_factor))
    sharp = lateral_blur(field, sigma_lines)
    defocus = (np.clip(np.abs(depth - focus) / 0.5, 0, 1)**2)[:, None]
    field = sharp + defocus * (wide - sharp)

    # Axial pulse and Hilbert transform in one positive-frequency FFT filter.
    # Zero padding stops the circular convolution from wrapping the bright near
    # field into the (TGC-amplified) far field.
    sigma_rows = rng.uniform(*cfg.axial_sigma_px) / row_px
    num_fft = scipy.fft.next_fast_len(shape[0] + int(math.ceil(4 * sigma_rows)))
    response = axial_filter(num_fft, sigma_rows,
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
