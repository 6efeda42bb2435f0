"""Prompt batches and the simulated corrective clicks of interactive training.
"""
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import torch
from torch import Tensor

from .prompt_encoder import PAD_LABEL


@dataclass
class PromptBatch:
    """Prompts of N instances spread over the images of a batch.

    Attributes:
        point_coords (Tensor): (N, K, 2) (x, y) pixel indices, input frame.
        point_labels (Tensor): (N, K) 1 / 0 / -1 (padding).
        boxes (Tensor, optional): (N, 4) xyxy pixel indices; None when no
            instance has a box.
        box_valid (Tensor, optional): (N,) bool, rows of ``boxes`` that are
            real; None when all are.
        image_indices (Tensor): (N,) image of each instance.
    """
    point_coords: Tensor
    point_labels: Tensor
    boxes: Optional[Tensor]
    box_valid: Optional[Tensor]
    image_indices: Tensor

    def __len__(self) -> int:
        return self.point_labels.shape[0]

    def subset(self, index: Tensor) -> 'PromptBatch':
        """Prompts of the instances selected by ``index``."""
        def take(x: Optional[Tensor]) -> Optional[Tensor]:
            return None if x is None else x[index]

        return PromptBatch(
            take(self.point_coords), take(self.point_labels),
            take(self.boxes), take(self.box_valid), take(self.image_indices))

    def with_points(self, coords: Tensor, labels: Tensor) -> 'PromptBatch':
        """Copy with (N, k, 2) / (N, k) points appended to each instance."""
        return replace(
            self,
            point_coords=torch.cat([self.point_coords, coords.float()], 1),
            point_labels=torch.cat([self.point_labels, labels.long()], 1))

    def has_box(self) -> Tensor:
        """(N,) bool, which instances have a box."""
        n = len(self)
        if self.boxes is None:
            return self.point_labels.new_zeros(n, dtype=torch.bool)
        if self.box_valid is None:
            return self.point_labels.new_ones(n, dtype=torch.bool)
        return self.box_valid

    def num_prompts(self) -> Tensor:
        """(N,) number of sparse prompts: points plus one for a box."""
        return (self.point_labels != PAD_LABEL).sum(1) + self.has_box().long()


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
