"""Simulated corrective clicks of interactive training (SAM's recipe)."""
from typing import Tuple

import torch
from torch import Tensor

from ..prompt_encoder import PAD_LABEL


def sample_corrective_clicks(pred: Tensor, target: Tensor, valid: Tensor,
                             input_size: Tuple[int, int]
                             ) -> Tuple[Tensor, Tensor]:
    """Sample one corrective click per instance from its error region.

    The click falls uniformly in the false-negative or false-positive cells
    of the previous prediction: positive (1) in a false negative, negative (0)
    in a false positive (SAM's interactive training). Cells are those of the
    low-resolution masks; the click is a random pixel of its cell. Instances
    without error get a padding click (label -1).

    Args:
        pred (Tensor): (N, h, w) bool, previous prediction.
        target (Tensor): (N, h, w) bool, ground truth at the same size.
        valid (Tensor): (N, h, w) bool, cells inside the image (not padding).
        input_size (tuple[int, int]): (H, W) of the input frame the cells
            tile.

    Returns:
        tuple[Tensor, Tensor]: coordinates (N, 1, 2) and labels (N, 1).
    """
    n, h, w = pred.shape
    if n == 0:
        return pred.new_zeros(0, 1, 2, dtype=torch.float), \
            pred.new_zeros(0, 1, dtype=torch.long)
    error = ((pred != target) & valid).flatten(1)
    has_error = error.any(1)
    # Rows without error sample anywhere; their click is padding anyway.
    weights = torch.where(has_error[:, None], error.float(),
                          torch.ones_like(error, dtype=torch.float))
    cell = torch.multinomial(weights, 1).squeeze(1)
    row, col = cell // w, cell % w
    jitter = torch.rand(n, 2, device=pred.device)
    x = ((col + jitter[:, 0]) * (input_size[1] / w)).floor()
    y = ((row + jitter[:, 1]) * (input_size[0] / h)).floor()
    coords = torch.stack([
        x.clamp(0, input_size[1] - 1),
        y.clamp(0, input_size[0] - 1)
    ], -1)[:, None]
    labels = target.flatten(1).gather(1, cell[:, None]).long()
    labels = labels.masked_fill(~has_error[:, None], PAD_LABEL)
    return coords, labels
