"""Squared error of the IoU each mask token predicts for its own mask."""
from typing import Optional

import torch
from torch import Tensor, nn

from mmdet.registry import MODELS
from .utils import reduce_per_mask


def mask_iou(pred: Tensor, target: Tensor) -> Tensor:
    """IoU of binary masks (..., H, W); 1 when both masks are empty."""
    pred = pred.flatten(-2).bool()
    target = target.flatten(-2).bool()
    inter = (pred & target).sum(-1).float()
    union = (pred | target).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1),
                       torch.ones_like(union))


@MODELS.register_module()
class SamIoULoss(nn.Module):
    """MSE between predicted IoUs and the IoU of the thresholded masks.

    The target of each candidate is the IoU of its own mask (logits > 0)
    with the ground truth, without gradient. With ``candidates`` the squared
    errors of each prompt set are averaged over its selected candidates
    (SAM trains the IoU head on every candidate of the output mode);
    ``loss_weight`` multiplies the reduced loss.

    Args:
        reduction (str): ``'mean'`` or ``'none'``. Defaults to 'mean'.
        loss_weight (float): Factor of the loss. Defaults to 1.
    """

    def __init__(self,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                iou_pred: Tensor,
                mask_logits: Tensor,
                targets: Tensor,
                candidates: Optional[Tensor] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Weighted IoU-prediction loss.

        Args:
            iou_pred (Tensor): (N, C) predicted IoUs of C candidates.
            mask_logits (Tensor): (N, C, H, W) logits of the candidates.
            targets (Tensor): (N, C, H, W) binary targets.
            candidates (Tensor, optional): (N, C) bool, candidates trained
                per set; all when None.
            reduction_override (str, optional): ``'mean'`` or ``'none'``.

        Returns:
            Tensor: (N,) loss of each prompt set, or their mean.
        """
        with torch.no_grad():
            iou_target = mask_iou(mask_logits > 0, targets)
        sq_err = (iou_pred - iou_target)**2
        if candidates is None:
            per_set = sq_err.mean(1)
        else:
            per_set = (sq_err * candidates).sum(1) / candidates.sum(1)
        return self.loss_weight * reduce_per_mask(per_set, self.reduction,
                                                  reduction_override)
