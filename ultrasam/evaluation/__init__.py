"""Evaluation of promptable segmentation: metrics and sample accessors."""
from .functional import masks_to_numpy, original_gt_masks
from .metrics import *  # noqa: F401,F403

__all__ = ['masks_to_numpy', 'original_gt_masks']
