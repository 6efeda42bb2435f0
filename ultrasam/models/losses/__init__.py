"""Per-mask losses of SAM training, registered in MMDetection's ``MODELS``."""
from .sam_dice_loss import SamDiceLoss
from .sam_focal_loss import SamFocalLoss
from .sam_iou_loss import SamIoULoss, mask_iou

__all__ = ['SamDiceLoss', 'SamFocalLoss', 'SamIoULoss', 'mask_iou']
