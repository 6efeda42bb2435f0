"""Mask measurements against analytic ellipses and rectangles, at isotropic
and anisotropic pixel spacings.

Tolerances (worst measured error over the shapes and spacings here in
brackets): area 0.6 % (0.53 %); ellipse perimeter 1 % (0.58 %), rectangle
perimeter 4 % (3.4 % short: the outline is smoothed over one pixel, which
rounds the corners); long and short axes within 2 pixels of the coarser axis
(ellipses 0.44 px; the rectangle diagonal loses up to 1.51 px to the rounded
corners); equivalent-ellipse axes 1.5 % (0.53 %).
"""
import math

import numpy as np
import pytest

from ultrasam.evaluation.measurements import measure_mask
from ultrasam.structures.calibration import CalibratedRegion, PixelCalibration

SPACINGS = [(1.0, 1.0), (0.2, 0.2), (0.3, 0.15), (0.1, 0.4)]


def ellipse_mask(a_mm, b_mm, angle, spacing):
    """Pixels whose centre lies in an ellipse of semi-axes a, b (mm) rotated
    by ``angle`` (physical frame), on a grid of ``spacing`` (row, col mm)."""
    dy, dx = spacing
    size_y = int(2.5 * max(a_mm, b_mm) / dy) + 4
    size_x = int(2.5 * max(a_mm, b_mm) / dx) + 4
    rows, cols = np.mgrid[0:size_y, 0:size_x].astype(float)
    x, y = (cols - size_x / 2 + 0.3) * dx, (rows - size_y / 2 + 0.1) * dy
    c, s = math.cos(angle), math.sin(angle)
    return ((x * c + y * s) / a_mm)**2 + ((y * c - x * s) / b_mm)**2 <= 1


@pytest.mark.parametrize('spacing', SPACINGS)
@pytest.mark.parametrize('a_px, b_px, angle', [(40, 25, 0.3), (30, 30, 0.0),
                                               (45, 12, 1.0), (20, 10, 0.0)])
def test_ellipse(a_px, b_px, angle, spacing):
    """Semi-axes given in pixels of the coarser axis (more on the finer)."""
    coarse = max(spacing)
    a, b = a_px * coarse, b_px * coarse
    mask = ellipse_mask(a, b, angle, spacing)
    result = measure_mask(mask, PixelCalibration(spacing=spacing))
    perimeter = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))
    assert result.unit == 'mm' and result.pixel_spacing == spacing
    assert result.area == pytest.approx(math.pi * a * b, rel=0.006)
    assert result.perimeter == pytest.approx(perimeter, rel=0.01)
    assert result.long_axis == pytest.approx(2 * a, abs=2 * coarse)
    assert result.short_axis == pytest.approx(2 * b, abs=2 * coarse)
    assert result.ellipse_major == pytest.approx(2 * a, rel=0.015)
    assert result.ellipse_minor == pytest.approx(2 * b, rel=0.015)
    if a > b:
        # The image y axis points down, as does the physical y here.
        assert result.ellipse_angle_deg == pytest.approx(
            math.degrees(angle), abs=1.0)


@pytest.mark.parametrize('spacing', SPACINGS)
@pytest.mark.parametrize('height, width', [(20, 60), (40, 40), (30, 45)])
def test_rectangle(height, width, spacing):
    mask = np.zeros((height + 20, width + 20), bool)
    mask[10:10 + height, 10:10 + width] = True
    result = measure_mask(mask, PixelCalibration(spacing=spacing))
    w, h = width * spacing[1], height * spacing[0]
    diagonal = math.hypot(w, h)
    # Longest chord perpendicular to the diagonal: through the centre.
    perpendicular = min(w, h) * diagonal / max(w, h)
    coarse = max(spacing)
    assert result.area == pytest.approx(w * h, rel=1e-9)
    assert result.perimeter == pytest.approx(2 * (w + h), rel=0.04)
    assert result.long_axis == pytest.approx(diagonal, abs=2 * coarse)
    assert result.short_axis == pytest.approx(perpendicular, abs=2 * coarse)
    # Second moments of a w x h rectangle: variance w^2 / 12.
    assert result.ellipse_major == pytest.approx(
        4 * max(w, h) / math.sqrt(12), rel=0.015)
    assert result.ellipse_minor == pytest.approx(
        4 * min(w, h) / math.sqrt(12), rel=0.015)


def test_caliper_end_points_are_pixels_on_the_outline():
    mask = np.zeros((60, 80), bool)
    mask[20:31, 10:71] = True  # 61 x 11 px, spacing 0.5 x 0.25 mm
    result = measure_mask(mask, PixelCalibration(spacing=(0.5, 0.25)))
    (x0, y0), (x1, y1) = result.long_axis_points
    length = math.hypot((x1 - x0) * 0.25, (y1 - y0) * 0.5)
    assert length == pytest.approx(result.long_axis)
    for x, y in result.long_axis_points + result.short_axis_points:
        assert 9 <= x <= 71 and 19 <= y <= 31


def test_largest_component_with_holes_filled_and_pixels_without_spacing():
    mask = np.zeros((50, 50), bool)
    mask[5:25, 5:25] = True
    mask[10:15, 10:15] = False  # a hole: filled
    mask[40:43, 40:43] = True  # a smaller component: ignored
    result = measure_mask(mask)
    assert result.unit == 'px' and result.pixel_spacing is None
    assert result.calibration_note == 'no calibration given'
    assert result.num_components == 2 and result.area == 400


def test_object_outside_the_calibrated_region_is_measured_in_pixels():
    calibration = PixelCalibration(
        regions=(CalibratedRegion((0, 0, 19, 49), (0.1, 0.1)), ))
    mask = np.zeros((50, 50), bool)
    mask[10:20, 5:15] = True
    assert measure_mask(mask, calibration).unit == 'mm'
    mask[10:20, 15:30] = True
    result = measure_mask(mask, calibration)
    assert result.unit == 'px' and 'not inside' in result.calibration_note


@pytest.mark.parametrize('rows, cols, area, long_axis', [
    (slice(3, 4), slice(3, 4), 1, 1.0),
    (slice(3, 4), slice(2, 12), 10, 10),
])
def test_pixel_thin_objects(rows, cols, area, long_axis):
    mask = np.zeros((8, 16), bool)
    mask[rows, cols] = True
    result = measure_mask(mask)
    assert result.area == area
    assert result.long_axis == pytest.approx(long_axis, abs=0.5)


def test_echogenicity_inside_and_in_the_ring():
    rng = np.random.default_rng(0)
    mask = ellipse_mask(15, 10, 0.0, (1.0, 1.0))
    image = rng.normal(150, 10, mask.shape)
    image[mask] = rng.normal(50, 10, int(mask.sum()))
    result = measure_mask(mask, image=np.clip(image, 0, 255).astype(np.uint8))
    assert result.echo_inside == pytest.approx(50, abs=2)
    assert result.echo_ring == pytest.approx(150, abs=2)
    assert result.contrast_ratio == pytest.approx(1 / 3, abs=0.02)
    assert result.cnr == pytest.approx(-100 / math.sqrt(200), rel=0.05)
    assert measure_mask(mask).echo_inside is None


@pytest.mark.parametrize('mask, image, match', [
    (np.zeros((5, 5), bool), None, 'empty'),
    (np.ones((2, 5, 5), bool), None, r'\(H, W\)'),
    (np.ones((5, 5), bool), np.zeros((4, 5)), 'does not match'),
])
def test_bad_input(mask, image, match):
    with pytest.raises(ValueError, match=match):
        measure_mask(mask, image=image)
