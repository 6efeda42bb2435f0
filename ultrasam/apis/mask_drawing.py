"""Mask overlays of the interactive tools: a transparent layer of filled,
outlined masks (the web page draws it over the image), the same blended into an
image, measurement calipers, and PNG encoding."""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from ..evaluation.measurements import MaskMeasurements

RGB = Tuple[int, int, int]
#: Opacity (0..255) of mask fills; outlines are opaque.
FILL_ALPHA = 115
#: Colour of the measurement calipers.
CALIPER_COLOR = (255, 215, 0)


def distinct_colors(num: int) -> List[RGB]:
    """``num`` saturated RGB colours; hues spread by the golden angle stay
    apart for any count."""
    hues = np.uint8([[[int(i * 137.5) % 180, 220, 255] for i in range(num)]])
    return [tuple(int(c) for c in rgb)
            for rgb in cv2.cvtColor(hues, cv2.COLOR_HSV2RGB)[0]] if num else []


def mask_layer(masks: np.ndarray, colors: Sequence[RGB],
               fill_alpha: int = FILL_ALPHA) -> np.ndarray:
    """A transparent RGBA layer: each mask filled with its colour at
    ``fill_alpha`` and outlined opaquely (1 px per 400 px of image side).

    Args:
        masks (np.ndarray): (N, H, W) bool.
        colors (Sequence[tuple]): N RGB colours.
        fill_alpha (int): Opacity of the fills, 0..255.

    Returns:
        np.ndarray: (H, W, 4) uint8 RGBA.
    """
    if len(colors) != len(masks):
        raise ValueError(f'{len(masks)} masks but {len(colors)} colours')
    height, width = masks.shape[1:]
    layer = np.zeros((height, width, 4), np.uint8)
    thickness = max(1, round(max(height, width) / 400))
    for mask, color in zip(masks, colors):
        layer[mask] = (*color, fill_alpha)
    for mask, color in zip(masks, colors):
        contours, _ = cv2.findContours(mask.astype(np.uint8),
                                       cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(layer, contours, -1, (*color, 255), thickness)
    return layer


def blend(rgb: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """``layer`` (RGBA) composited over an RGB image, uint8 RGB out."""
    alpha = layer[..., 3:].astype(np.float32) / 255
    out = rgb.astype(np.float32) * (1 - alpha) + layer[..., :3] * alpha
    return out.round().astype(np.uint8)


def encode_png(image: np.ndarray) -> bytes:
    """PNG of a uint8 gray (H, W), RGB or RGBA image."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.shape[2] == 3
                             else cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode('.png', image)
    if not ok:
        raise RuntimeError(f'PNG encoding of a {image.shape} image failed')
    return encoded.tobytes()


def measurement_label(measurements: MaskMeasurements) -> str:
    """One line: area and the two caliper axes with their unit."""
    unit = measurements.unit
    return (f'area {measurements.area:.1f} {unit}2, axes '
            f'{measurements.long_axis:.1f} x {measurements.short_axis:.1f} '
            f'{unit}')


def draw_calipers(rgb: np.ndarray,
                  measurements: MaskMeasurements,
                  color: RGB = CALIPER_COLOR,
                  label: bool = True) -> np.ndarray:
    """The two caliper axes (long and perpendicular) drawn on a copy of an
    RGB image, with cross ticks at their ends and, with ``label``, the
    :func:`measurement_label` in the top-left corner.

    Args:
        rgb (np.ndarray): (H, W, 3) uint8 RGB.
        measurements (MaskMeasurements): Measurements of a mask of the image.
        color (tuple): RGB colour. Defaults to :data:`CALIPER_COLOR`.
        label (bool): Write the label. Defaults to True.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    out = np.ascontiguousarray(rgb.copy())
    size = max(out.shape[:2])
    thickness = max(1, round(size / 400))
    tick = max(2, round(size / 100))
    for start, end in (measurements.long_axis_points,
                       measurements.short_axis_points):
        ends = [tuple(int(round(v)) for v in p) for p in (start, end)]
        cv2.line(out, ends[0], ends[1], color, thickness, cv2.LINE_AA)
        for x, y in ends:
            cv2.drawMarker(out, (x, y), color, cv2.MARKER_CROSS, 2 * tick,
                           thickness)
    if label:
        scale = max(0.3, size / 900)
        text = measurement_label(measurements)
        (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                                scale, thickness)
        cv2.rectangle(out, (0, 0), (width + 6, height + base + 6), (0, 0, 0),
                      -1)
        cv2.putText(out, text, (3, height + 3), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, color, thickness, cv2.LINE_AA)
    return out
