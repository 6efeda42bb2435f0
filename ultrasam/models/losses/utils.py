"""Reduction shared by the per-mask losses."""
from typing import Optional

from torch import Tensor

REDUCTIONS = ('none', 'mean')


def reduce_per_mask(loss: Tensor, reduction: str,
                    override: Optional[str]) -> Tensor:
    """Reduce per-mask values by ``override`` if given, else ``reduction``.

    Args:
        loss (Tensor): (...) one value per mask.
        reduction (str): The loss's default, ``'none'`` or ``'mean'``.
        override (str, optional): Per-call reduction.

    Returns:
        Tensor: ``loss`` itself or its mean.
    """
    reduction = override or reduction
    if reduction not in REDUCTIONS:
        raise ValueError(
            f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    return loss.mean() if reduction == 'mean' else loss
