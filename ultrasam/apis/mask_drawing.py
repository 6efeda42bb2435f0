"""Mask overlays of the interactive tools: a transparent layer of filled,
outlined masks (the web page draws it over the image), the same blended into an
image, and PNG encoding."""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

RGB = Tuple[int, int, int]
#: Opacity (0..255) of mask fills; outlines are opaque.
FILL_ALPHA = 115


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
