"""Acoustic building blocks: tissue echogenicity, slow texture and the PSF filters."""
import math
from typing import Tuple

import cv2
import numpy as np

from .probes import Probe


def smooth_noise(rng: np.random.Generator, grid: Tuple[int, int],
                 shape: Tuple[int, int], std: float) -> np.ndarray:
    """Slowly varying Gaussian noise: a coarse random grid upsampled to ``shape``."""
    coarse = rng.standard_normal(grid, dtype=np.float32) * np.float32(std)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def layered_tissue_db(rng: np.random.Generator, probe: Probe, depth: np.ndarray,
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


def axial_filter(num_samples: int, sigma: float, bandwidth: float) -> np.ndarray:
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


def lateral_blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian beam along the lines, normalised to preserve speckle power."""
    half = int(math.ceil(3 * sigma))
    kernel = cv2.getGaussianKernel(2 * half + 1, sigma, cv2.CV_32F)
    kernel /= np.sqrt(np.sum(kernel**2))
    return cv2.sepFilter2D(field, -1, kernel, np.ones((1, 1), np.float32),
                           borderType=cv2.BORDER_REFLECT)
