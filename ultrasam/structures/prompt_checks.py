"""Shape checks of prompt arrays, shared by the prompt encoder and the predictor."""
from typing import Any, Optional, Sequence

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
