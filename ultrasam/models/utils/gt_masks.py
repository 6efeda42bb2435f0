"""Ground-truth masks of prompted instances as model-input-frame tensors."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ...utils import to_numpy
from .img_meta import content_shape
from .prompt_batch import describe_sample

# Instances converted to float at once when pooling (bounds memory).
POOL_CHUNK_SIZE = 16


@dataclass
class ClickTargets:
    """Ground truth of N prompted instances, for losses and simulated clicks.

    Attributes:
        low_res (Tensor): (N, h, w) bool, pooled to the decoder's output.
        full_res (Tensor): (N, H, W) bool, in the padded input frame.
        valid (Tensor): (N, h, w) bool, low-res cells inside the image.
    """
    low_res: Tensor
    full_res: Tensor
    valid: Tensor

    def subset(self, index: Tensor) -> 'ClickTargets':
        """Targets of the instances selected by ``index``."""
        return ClickTargets(self.low_res[index], self.full_res[index],
                            self.valid[index])

    @classmethod
    def from_data_samples(cls,
                          data_samples: Sequence,
                          image_indices: Tensor,
                          input_size: Tuple[int, int],
                          low_res_size: Tuple[int, int],
                          keep: Optional[List[Tensor]] = None
                          ) -> 'ClickTargets':
        """Targets of the batch's (kept) prompted instances.

        Args:
            data_samples (Sequence[DetDataSample]): The batch.
            image_indices (Tensor): (N,) image of each prompted instance.
            input_size (tuple[int, int]): (H, W) of the padded model input.
            low_res_size (tuple[int, int]): (h, w) of the decoder's logits.
            keep (list[Tensor], optional): Kept instances of each image.
        """
        full_res = gt_masks_from_data_samples(data_samples, input_size,
                                              image_indices.device, keep)
        if full_res.shape[0] != len(image_indices):
            raise ValueError(f'{full_res.shape[0]} gt masks for '
                             f'{len(image_indices)} prompted instances')
        valid = valid_click_cells(data_samples, image_indices, input_size,
                                  low_res_size)
        return cls(pool_masks(full_res, low_res_size), full_res, valid)


def gt_masks_from_data_samples(data_samples: Sequence,
                               input_size: Tuple[int, int],
                               device: torch.device,
                               keep: Optional[List[Tensor]] = None) -> Tensor:
    """``gt_instances.masks`` of every (kept) instance, padded to the input.

    Args:
        data_samples (Sequence[DetDataSample]): The batch; masks at
            ``img_shape`` (or already padded).
        input_size (tuple[int, int]): (H, W) of the padded model input.
        device (torch.device): Device of the result.
        keep (list[Tensor], optional): Per image, the instances to take.

    Returns:
        Tensor: (N, H, W) bool, in the order of the prompts.
    """
    in_h, in_w = input_size
    out = []
    for i, sample in enumerate(data_samples):
        gt = sample.gt_instances
        if 'masks' not in gt:
            raise KeyError(
                f'{describe_sample(sample, i)}: gt_instances has no masks')
        masks = gt.masks
        masks = masks if isinstance(masks, Tensor) else torch.from_numpy(
            to_numpy(masks))
        if keep is not None:
            masks = masks[keep[i].to(masks.device)]
        h, w = masks.shape[-2:]
        if h > in_h or w > in_w:
            raise ValueError(
                f'{describe_sample(sample, i)}: gt masks are {h}x{w}, larger '
                f'than the input {in_h}x{in_w}; they must be at img_shape or '
                'the padded size')
        out.append(F.pad(masks.to(device).bool(), (0, in_w - w, 0, in_h - h)))
    return torch.cat(out)


def pool_masks(masks: Tensor, size: Tuple[int, int]) -> Tensor:
    """Area-pool (N, H, W) bool masks to ``size``, binarised at 0.5."""
    if len(masks) == 0:
        return masks.new_zeros(0, *size)
    return torch.cat([
        F.adaptive_avg_pool2d(chunk.float(), size) >= 0.5
        for chunk in masks.split(POOL_CHUNK_SIZE)
    ])


def valid_click_cells(data_samples: Sequence, image_indices: Tensor,
                      input_size: Tuple[int, int],
                      low_res_size: Tuple[int, int]) -> Tensor:
    """(N, h, w) bool: low-res cells entirely inside each instance's image.

    A click is placed in a pixel of its cell, so a cell that straddles the
    image border could put one in the padding.

    Args:
        data_samples (Sequence[DetDataSample]): The batch.
        image_indices (Tensor): (N,) image of each instance.
        input_size (tuple[int, int]): (H, W) of the padded model input.
        low_res_size (tuple[int, int]): (h, w) of the cell grid.
    """
    lh, lw = low_res_size
    in_h, in_w = input_size
    per_image = []
    for sample in data_samples:
        h, w = content_shape(sample.metainfo, input_size)
        cells = torch.zeros(lh, lw, dtype=torch.bool)
        cells[:h * lh // in_h, :w * lw // in_w] = True
        per_image.append(cells)
    per_image = torch.stack(per_image).to(image_indices.device)
    return per_image[image_indices]
