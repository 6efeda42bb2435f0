"""Access to the ground truth and predictions of packed prompt samples.

Metrics receive data samples as dicts (``DetDataSample.to_dict()``), visualizers as
:class:`DetDataSample`; both support ``get`` and ``in``, which is all that is used.
"""
from typing import Any

import numpy as np

from ..utils import to_numpy


def masks_to_numpy(masks: Any) -> np.ndarray:
    """``(N, H, W)`` bool host array of mmdet masks, a tensor or an array."""
    return to_numpy(masks).astype(bool)


def original_gt_masks(data_sample: Any,
                      instances_key: str = 'gt_instances') -> np.ndarray:
    """Ground-truth masks of a sample at the original image resolution.

    Taken from ``ori_masks`` (packed when ``KeepOriginalMasks`` is in the test
    pipeline), or from ``masks`` when the pipeline did not resize or flip them.

    Args:
        data_sample (DetDataSample | dict): Packed sample.
        instances_key (str): ``'gt_instances'`` or ``'ignored_instances'``.

    Returns:
        np.ndarray: ``(N, H_ori, W_ori)`` bool masks.
    """
    instances = data_sample.get(instances_key)
    ori_shape = tuple(data_sample.get('ori_shape'))
    if instances is None:
        return np.zeros((0, ) + ori_shape, bool)
    if 'ori_masks' in instances:
        masks = masks_to_numpy(instances['ori_masks'])
    elif 'masks' in instances and not data_sample.get('flip', False):
        masks = masks_to_numpy(instances['masks'])
    else:
        raise KeyError(
            f'{data_sample.get("img_path")}: {instances_key} has no original-'
            'resolution masks; add KeepOriginalMasks right after '
            'LoadAnnotations in the test pipeline')
    if masks.shape[1:] != ori_shape:
        raise ValueError(
            f'{data_sample.get("img_path")}: ground-truth masks are '
            f'{masks.shape[1:]} but the original image is {ori_shape}; add '
            'KeepOriginalMasks right after LoadAnnotations in the test pipeline'
        )
    return masks
