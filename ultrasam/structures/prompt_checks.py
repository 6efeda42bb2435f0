"""Checks of prompt arrays, shared by the prompt encoder and the predictors."""
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ..utils import to_numpy

POINT_LABELS = (-1, 0, 1)


def _shape(x: Any) -> Optional[tuple]:
    return None if x is None else tuple(x.shape)


def check_prompt_shapes(point_coords: Any = None,
                        point_labels: Any = None,
                        boxes: Any = None,
                        masks: Any = None,
                        mask_size: Optional[Sequence[int]] = None,
                        box_valid: Any = None) -> int:
    """Check the shapes and point labels of N prompt sets.

    Works on numpy arrays and tensors alike (anything with ``shape``).

    Args:
        point_coords: (N, K, 2) points (x, y).
        point_labels: (N, K) labels: 1 positive, 0 negative, -1 padding.
        boxes: (N, 4) boxes x1, y1, x2, y2.
        masks: (N, 1, h, w) low-resolution mask logits.
        mask_size (Sequence[int], optional): Expected (h, w) of ``masks``.
        box_valid: (N,) bool, which boxes are real.

    Returns:
        int: N, the number of prompt sets (1 when no prompt is given).

    Raises:
        ValueError: naming the argument, the expected and the given shape.
    """
    if (point_coords is None) != (point_labels is None):
        raise ValueError(
            'point_coords and point_labels must be given together, got '
            f'point_coords={_shape(point_coords)}, '
            f'point_labels={_shape(point_labels)}')
    sizes = {}
    if point_coords is not None:
        if len(point_coords.shape) != 3 or point_coords.shape[-1] != 2:
            raise ValueError('point_coords must be (N, K, 2), got '
                             f'{_shape(point_coords)}')
        if tuple(point_labels.shape) != tuple(point_coords.shape[:2]):
            raise ValueError(
                f'point_labels must be (N, K) = '
                f'{tuple(point_coords.shape[:2])}, got {_shape(point_labels)}')
        bad = (point_labels != -1) & (point_labels != 0) & (point_labels != 1)
        if bad.any():
            raise ValueError(
                'point_labels must be 1 (positive), 0 (negative) or -1 '
                f'(padding), got {sorted(set(to_numpy(point_labels[bad]).tolist()))}'
            )
        sizes['point_coords'] = point_coords.shape[0]
    if boxes is not None:
        if len(boxes.shape) != 2 or boxes.shape[-1] != 4:
            raise ValueError(f'boxes must be (N, 4), got {_shape(boxes)}')
        sizes['boxes'] = boxes.shape[0]
        if box_valid is not None and \
                tuple(box_valid.shape) != tuple(boxes.shape[:1]):
            raise ValueError(f'box_valid must be (N,) = ({boxes.shape[0]},), '
                             f'got {_shape(box_valid)}')
    elif box_valid is not None:
        raise ValueError('box_valid was given without boxes')
    if masks is not None:
        expected = (1, *mask_size) if mask_size is not None else None
        if len(masks.shape) != 4 or (expected is not None and
                                     tuple(masks.shape[1:]) != expected):
            raise ValueError(
                f'mask_input must be (N, {", ".join(map(str, expected))}) '
                f'low-resolution logits, got {_shape(masks)}')
        sizes['mask_input'] = masks.shape[0]
    if len(set(sizes.values())) > 1:
        raise ValueError(
            f'prompts disagree on the number of prompt sets N: {sizes}')
    return next(iter(sizes.values()), 1)


def check_prompts(
    point_coords: Any, point_labels: Any, boxes: Any, mask_input: Any,
    image_size: Tuple[int, int], mask_size: Sequence[int]
) -> Tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray],
           Optional[np.ndarray]]:
    """Validate B prompt sets given on an image; numpy arrays out.

    Shapes as :func:`check_prompt_shapes` ((B, K, 2), (B, K), (B, 4),
    (B, 1, h, w)); tensors on any device or array-likes are accepted.

    Every prompt must be finite; point labels integral in {-1, 0, 1};
    real points (label 0 / 1) inside the image; boxes inside the image
    with x1 <= x2 and y1 <= y2; and every prompt set must hold a real
    point, a box or a mask input.

    Args:
        point_coords: (B, K, 2) points (x, y) in image pixels.
        point_labels: (B, K) labels.
        boxes: (B, 4) boxes x1, y1, x2, y2.
        mask_input: (B, 1, h, w) low-res logits.
        image_size (tuple[int, int]): (H, W) of the image.
        mask_size (Sequence[int]): (h, w) of ``mask_input``.

    Returns:
        tuple: the four prompts as numpy arrays (labels int64), or None.
    """
    arrays = {}
    for name, value in (('point_coords', point_coords),
                        ('point_labels', point_labels),
                        ('boxes', boxes), ('mask_input', mask_input)):
        if value is None:
            arrays[name] = None
            continue
        array = to_numpy(value)
        if not (np.issubdtype(array.dtype, np.number)
                or array.dtype == bool):
            raise TypeError(f'{name} must be numeric, got dtype '
                            f'{array.dtype}: {array.tolist()!r:.80}')
        if not np.isfinite(array).all():
            raise ValueError(f'{name} holds non-finite values (NaN / '
                             f'Inf): {array.tolist()!r:.80}')
        arrays[name] = array
    if not any(v is not None for v in arrays.values()):
        raise ValueError('give at least one of point_coords / '
                         'point_labels, boxes or mask_input')
    labels = arrays['point_labels']
    if labels is not None:
        if (labels != np.round(labels)).any():
            raise ValueError(
                f'point_labels must be integers in {POINT_LABELS}, got '
                f'{sorted(set(labels[labels != np.round(labels)].tolist()))}')
        labels = arrays['point_labels'] = labels.astype(np.int64)
    num_sets = check_prompt_shapes(
        arrays['point_coords'], labels, arrays['boxes'],
        arrays['mask_input'], mask_size)
    height, width = image_size
    coords = arrays['point_coords']
    if coords is not None:
        real = coords[labels != -1]
        outside = (real[:, 0] < 0) | (real[:, 0] >= width) | \
            (real[:, 1] < 0) | (real[:, 1] >= height)
        if outside.any():
            raise ValueError(
                f'point {real[outside][0].tolist()} (x, y) is outside the '
                f'{width}x{height} (width x height) image')
    boxes = arrays['boxes']
    if boxes is not None:
        bad = (boxes[:, 0] > boxes[:, 2]) | (boxes[:, 1] > boxes[:, 3]) | \
            (boxes[:, :2] < 0).any(1) | (boxes[:, 2] >= width) | \
            (boxes[:, 3] >= height)
        if bad.any():
            raise ValueError(
                f'box {boxes[bad][0].tolist()} must be x1, y1, x2, y2 with '
                f'0 <= x1 <= x2 < {width} and 0 <= y1 <= y2 < {height}')
    prompted = np.zeros(num_sets, bool)
    if labels is not None:
        prompted |= (labels != -1).any(1)
    if boxes is not None or arrays['mask_input'] is not None:
        prompted[:] = True
    if not prompted.all():
        raise ValueError(
            f'prompt set {int(np.flatnonzero(~prompted)[0])} has no prompt: '
            'only padding points (label -1), no box and no mask_input')
    return coords, labels, boxes, arrays['mask_input']
