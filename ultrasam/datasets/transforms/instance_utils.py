"""Helpers shared by the prompt transforms: per-instance keys and mask geometry."""
import logging
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log

from mmdet.structures.mask import BitmapMasks, PolygonMasks

#: Keys of a pipeline ``results`` dict holding one entry per instance. Transforms that
#: drop instances index all of them together so they stay aligned.
INSTANCE_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_masks',
                 'gt_ignore_flags', 'ori_gt_masks', 'gt_point_coords',
                 'gt_point_labels', 'gt_prompt_boxes', 'gt_prompt_types')


def mask_arrays(masks: Union[BitmapMasks, PolygonMasks]) -> np.ndarray:
    """``(N, H, W)`` uint8 array of mmdet masks."""
    if isinstance(masks, BitmapMasks):
        return masks.masks
    if isinstance(masks, PolygonMasks):
        return masks.to_ndarray()
    raise TypeError('gt_masks must be BitmapMasks or PolygonMasks, got '
                    f'{type(masks).__name__}')


def select_instances(results: dict, keep: np.ndarray) -> None:
    """Keep the instances where the boolean array ``keep`` is True, in place."""
    for key in INSTANCE_KEYS:
        if key in results:
            results[key] = results[key][keep]


def drop_empty_masks(results: dict, transform_name: str) -> np.ndarray:
    """Remove instances whose mask has no pixel in the current frame.

    Such instances cannot be prompted: a zero-area mask from the annotation file,
    or a structure thinner than a pixel that vanished when the image was shrunk.

    Args:
        results (dict): Pipeline results with ``gt_masks``.
        transform_name (str): Name of the calling transform, for the log line.

    Returns:
        np.ndarray: ``(N', H, W)`` masks of the kept instances.
    """
    if 'gt_masks' not in results:
        raise KeyError(f'{transform_name} needs gt_masks: put '
                       'LoadAnnotations(with_mask=True) before it')
    masks = mask_arrays(results['gt_masks'])
    keep = masks.any(axis=(1, 2))
    if not keep.all():
        # At test time (original masks kept for the metrics) a dropped instance
        # is missing from the scores, so say it loudly.
        evaluating = 'ori_gt_masks' in results
        print_log(
            f'{transform_name}: dropped {int((~keep).sum())} instance(s) with '
            f'an empty mask in {results.get("img_path", "<image>")}'
            + (' (they vanished when the image was resized and are not '
               'evaluated)' if evaluating else ''),
            logger='current',
            level=logging.WARNING if evaluating else logging.DEBUG)
        select_instances(results, keep)
        masks = masks[keep]
    return masks


def mask_extent(mask: np.ndarray) -> Optional[Tuple[int, int, int, int]]:
    """``(x1, y1, x2, y2)`` first / last column and row of a 2-D mask, or None."""
    # cv2.boundingRect scans a uint8 image in C, far faster than numpy reductions.
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask, dtype=np.uint8))
    return (x, y, x + w - 1, y + h - 1) if w > 0 else None


def tight_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes of non-empty masks in segment-anything's convention.

    Args:
        masks (np.ndarray): ``(N, H, W)`` masks, none of them empty.

    Returns:
        np.ndarray: ``(N, 4)`` float32 ``(x1, y1, x2, y2)`` = first / last column
        and row containing the object.
    """
    return np.array([mask_extent(mask) for mask in masks],
                    np.float32).reshape(-1, 4)


def draw_count(count: Union[int, tuple]) -> int:
    """A fixed count, or one drawn uniformly from an inclusive ``(low, high)``."""
    if isinstance(count, int):
        return count
    return int(np.random.randint(count[0], count[1] + 1))


def check_count(name: str, count: Union[int, tuple, list],
                minimum: int) -> Union[int, tuple]:
    """Validate a count argument given as an int or an inclusive range."""
    if isinstance(count, (int, np.integer)) and not isinstance(count, bool):
        if count < minimum:
            raise ValueError(f'{name} must be >= {minimum}, got {count}')
        return int(count)
    if (isinstance(count, (tuple, list)) and len(count) == 2
            and all(isinstance(c, (int, np.integer)) for c in count)
            and minimum <= count[0] <= count[1]):
        return (int(count[0]), int(count[1]))
    raise ValueError(f'{name} must be an int >= {minimum} or an inclusive '
                     f'range (low, high) with {minimum} <= low <= high, '
                     f'got {count!r}')
