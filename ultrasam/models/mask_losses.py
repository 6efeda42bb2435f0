"""Per-mask losses of SAM training (one value per predicted mask)."""
import torch
import torch.nn.functional as F
from torch import Tensor


def sigmoid_focal_loss(logits: Tensor,
                       targets: Tensor,
                       alpha: float = 0.25,
                       gamma: float = 2.0) -> Tensor:
    """Focal loss averaged over the pixels of each mask.

    Args:
        logits (Tensor): (..., H, W) mask logits.
        targets (Tensor): (..., H, W) binary targets, same shape.
        alpha (float): Weight of the positive pixels (1 - alpha for the
            negative ones); a negative value disables the weighting.
        gamma (float): Focusing exponent.

    Returns:
        Tensor: (...) loss of each mask.
    """
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(
        logits, targets, reduction='none')
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce * (1 - p_t)**gamma
    if alpha >= 0:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    return loss.flatten(-2).mean(-1)


def dice_loss(logits: Tensor, targets: Tensor, eps: float = 1.0) -> Tensor:
    """Soft Dice loss of each mask: 1 - (2 |PT| + eps) / (|P| + |T| + eps).

    Args:
        logits (Tensor): (..., H, W) mask logits.
        targets (Tensor): (..., H, W) binary targets.
        eps (float): Smoothing; makes an empty prediction of an empty target
            a zero loss.

    Returns:
        Tensor: (...) loss of each mask.
    """
    prob = logits.sigmoid().flatten(-2)
    targets = targets.flatten(-2)
    inter = (prob * targets).sum(-1)
    return 1 - (2 * inter + eps) / (prob.sum(-1) + targets.sum(-1) + eps)


def mask_iou(pred: Tensor, target: Tensor) -> Tensor:
    """IoU of binary masks (..., H, W); 1 when both masks are empty."""
    pred = pred.flatten(-2).bool()
    target = target.flatten(-2).bool()
    inter = (pred & target).sum(-1).float()
    union = (pred | target).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1),
                       torch.ones_like(union))
