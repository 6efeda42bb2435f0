"""Evaluation of promptable segmentation: metrics, sample accessors and
physical mask measurements."""
from .functional import masks_to_numpy, original_gt_masks
from .measurements import MaskMeasurements, measure_mask
from .metrics import *  # noqa: F401,F403

__all__ = [
    'MaskMeasurements', 'masks_to_numpy', 'measure_mask', 'original_gt_masks'
]
