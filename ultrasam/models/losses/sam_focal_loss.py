"""Sigmoid focal loss of each predicted mask (SAM's mask loss)."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmdet.registry import MODELS
from .utils import reduce_per_mask


@MODELS.register_module()
class SamFocalLoss(nn.Module):
    """Sigmoid focal loss averaged over the pixels of each mask.

    Each mask weighs the same whatever its size; ``reduction='mean'``
    averages over masks, ``'none'`` keeps one value per mask (the mask
    decoder uses it to choose the candidate to supervise). As in mmdet,
    ``loss_weight`` multiplies the reduced loss.

    Args:
        alpha (float): Weight of the positive pixels (1 - alpha for the
            negative ones); a negative value disables the weighting.
            Defaults to 0.25.
        gamma (float): Focusing exponent. Defaults to 2.
        reduction (str): ``'mean'`` or ``'none'``. Defaults to 'mean'.
        loss_weight (float): Factor of the loss. Defaults to 20 (SAM).
    """

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 20.0) -> None:
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                logits: Tensor,
                targets: Tensor,
                reduction_override: Optional[str] = None) -> Tensor:
        """Weighted focal loss.

        Args:
            logits (Tensor): (..., H, W) mask logits.
            targets (Tensor): (..., H, W) binary targets, same shape.
            reduction_override (str, optional): ``'mean'`` or ``'none'``.

        Returns:
            Tensor: (...) loss of each mask, or their mean.
        """
        prob = logits.sigmoid()
        ce = F.binary_cross_entropy_with_logits(
            logits, targets, reduction='none')
        p_t = prob * targets + (1 - prob) * (1 - targets)
        loss = ce * (1 - p_t)**self.gamma
        if self.alpha >= 0:
            loss = loss * (self.alpha * targets + (1 - self.alpha) *
                           (1 - targets))
        per_mask = loss.flatten(-2).mean(-1)
        return self.loss_weight * reduce_per_mask(per_mask, self.reduction,
                                                  reduction_override)
