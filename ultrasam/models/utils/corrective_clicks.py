"""Simulated corrective clicks of interactive training (SAM's recipe)."""
from typing import Tuple

import torch
from torch import Tensor

from ..prompt_encoder import PAD_LABEL


def sample_corrective_clicks(pred: Tensor, target: Tensor, valid: Tensor,
                             full_target: Tensor) -> Tuple[Tensor, Tensor]:
    """Sample one corrective click per instance from its error region.

    A cell of the low-resolution grid is drawn uniformly among the error
    cells of the previous prediction (inside the image). The click is
    positive (1) where the prediction missed the object and negative (0)
    where it covered background (SAM's interactive training); its pixel is
    drawn among the full-resolution ground-truth pixels of that cell that
    carry its label, so that a positive click on a one-pixel-wide structure
    lands on the structure. Instances without error (or whose cell holds no
    such pixel) get a padding click (label -1).

    Args:
        pred (Tensor): (N, h, w) bool, previous prediction.
        target (Tensor): (N, h, w) bool, ground truth pooled to that grid.
        valid (Tensor): (N, h, w) bool, cells inside the image (not padding).
        full_target (Tensor): (N, H, W) bool, ground truth in the model
            input frame; H and W are multiples of h and w.

    Returns:
        tuple[Tensor, Tensor]: coordinates (N, 1, 2) as (x, y) pixel indices
        of the input frame, and labels (N, 1).
    """
    n, h, w = pred.shape
    if n == 0:
        return pred.new_zeros(0, 1, 2, dtype=torch.float), \
            pred.new_zeros(0, 1, dtype=torch.long)
    cell_h, cell_w = full_target.shape[1] // h, full_target.shape[2] // w
    error = ((pred != target) & valid).flatten(1)
    has_error = error.any(1)
    # Rows without error sample anywhere; their click is padding anyway.
    cell = torch.multinomial(
        torch.where(has_error[:, None], error.float(), torch.ones_like(
            error, dtype=torch.float)), 1).squeeze(1)
    row, col = cell // w, cell % w
    labels = ~pred.flatten(1).gather(1, cell[:, None]).squeeze(1)

    rows = row[:, None] * cell_h + torch.arange(cell_h, device=pred.device)
    cols = col[:, None] * cell_w + torch.arange(cell_w, device=pred.device)
    instances = torch.arange(n, device=pred.device)[:, None, None]
    patch = full_target[instances, rows[:, :, None], cols[:, None, :]]
    matches = (patch == labels[:, None, None]).flatten(1)
    has_pixel = matches.any(1)
    pixel = torch.multinomial(
        torch.where(has_pixel[:, None], matches.float(), torch.ones_like(
            matches, dtype=torch.float)), 1).squeeze(1)
    coords = torch.stack(
        [col * cell_w + pixel % cell_w, row * cell_h + pixel // cell_w],
        -1).float()[:, None]
    labels = labels.long().masked_fill(~(has_error & has_pixel), PAD_LABEL)
    return coords, labels[:, None]
