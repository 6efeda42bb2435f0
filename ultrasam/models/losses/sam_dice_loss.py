"""Soft Dice loss of each predicted mask (SAM's mask loss)."""
from typing import Optional

from torch import Tensor, nn

from mmdet.registry import MODELS
from .utils import reduce_per_mask


@MODELS.register_module()
class SamDiceLoss(nn.Module):
    """Soft Dice loss of each mask: 1 - (2 |PT| + eps) / (|P| + |T| + eps).

    ``reduction='mean'`` averages over masks, ``'none'`` keeps one value
    per mask; ``loss_weight`` multiplies the reduced loss.

    Args:
        eps (float): Smoothing; makes an empty prediction of an empty target
            a zero loss. Defaults to 1.
        reduction (str): ``'mean'`` or ``'none'``. Defaults to 'mean'.
        loss_weight (float): Factor of the loss. Defaults to 1.
    """

    def __init__(self,
                 eps: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                logits: Tensor,
                targets: Tensor,
                reduction_override: Optional[str] = None) -> Tensor:
        """Weighted Dice loss.

        Args:
            logits (Tensor): (..., H, W) mask logits.
            targets (Tensor): (..., H, W) binary targets, same shape.
            reduction_override (str, optional): ``'mean'`` or ``'none'``.

        Returns:
            Tensor: (...) loss of each mask, or their mean.
        """
        prob = logits.sigmoid().flatten(-2)
        targets = targets.flatten(-2)
        inter = (prob * targets).sum(-1)
        per_mask = 1 - (2 * inter + self.eps) / (
            prob.sum(-1) + targets.sum(-1) + self.eps)
        return self.loss_weight * reduce_per_mask(per_mask, self.reduction,
                                                  reduction_override)
