"""The prompts of all instances of a batch, gathered from packed data samples."""
from dataclasses import dataclass, replace
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ...structures import PromptType
from ..prompt_encoder import PAD_LABEL


def describe_sample(sample, index: int) -> str:
    """Name of a data sample in error messages: its file, else its id."""
    meta = sample.metainfo
    for key in ('img_path', 'img_id'):
        if meta.get(key) is not None:
            return f'image {index} ({meta[key]})'
    return f'image {index}'


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

    @classmethod
    def from_data_samples(cls,
                          data_samples: Sequence,
                          device: torch.device,
                          keep: Optional[List[Tensor]] = None
                          ) -> 'PromptBatch':
        """Gather and pad the prompts of every instance of the batch.

        Prompts are ``gt_instances`` fields written by
        :class:`ultrasam.datasets.PackPromptInputs`: ``point_coords``
        (n, K, 2), ``point_labels`` (n, K), ``prompt_boxes`` (n, 4) and
        ``prompt_types`` (n,), which says whose box is a prompt.

        Args:
            data_samples (Sequence[DetDataSample]): The batch.
            device (torch.device): Device of the prompt tensors.
            keep (list[Tensor], optional): Per image, the instances to take.

        Returns:
            PromptBatch: prompts of all (kept) instances, image by image.

        Raises:
            ValueError: On malformed prompts, or an instance with neither a
                point nor a box (nothing to segment from).
        """
        coords, labels, boxes, box_valid, image_indices = [], [], [], [], []
        for i, sample in enumerate(data_samples):
            gt = sample.gt_instances
            if keep is not None:
                gt = gt[keep[i]]
            n = len(gt)
            c, lab = _points(gt, n, device, describe_sample(sample, i))
            b, v = _boxes(gt, n, device)
            _check_prompted(lab, v, gt, describe_sample(sample, i))
            coords.append(c)
            labels.append(lab)
            boxes.append(b)
            box_valid.append(v)
            image_indices.append(
                torch.full((n, ), i, dtype=torch.long, device=device))

        max_k = max(c.shape[1] for c in coords)
        boxes, box_valid = torch.cat(boxes), torch.cat(box_valid)
        if not box_valid.any():
            boxes, box_valid = None, None
        elif box_valid.all():
            box_valid = None
        return cls(
            _cat_padded(coords, max_k, 0.), _cat_padded(labels, max_k,
                                                        PAD_LABEL), boxes,
            box_valid, torch.cat(image_indices))

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

    def multimask_flags(self, mode: Union[bool, str],
                        with_mask_input: bool) -> Tensor:
        """(N,) bool: which prompt sets use the multimask candidates.

        Args:
            mode (bool | str): ``True`` / ``False`` for all sets, or
                ``'auto'``: SAM's rule, multimask only for an ambiguous
                prompt (exactly one point, no box, no mask prompt).
            with_mask_input (bool): Whether a mask prompt is given.
        """
        n = len(self)
        if mode == 'auto':
            if with_mask_input:
                return self.point_labels.new_zeros(n, dtype=torch.bool)
            single_point = (self.point_labels != PAD_LABEL).sum(1) == 1
            return single_point & ~self.has_box()
        return self.point_labels.new_full((n, ), bool(mode),
                                          dtype=torch.bool)


def _points(gt, n: int, device: torch.device, name: str):
    """(n, K, 2) float coordinates and (n, K) long labels of an image."""
    if 'point_coords' not in gt or n == 0:
        return (torch.zeros(n, 0, 2, device=device),
                torch.zeros(n, 0, dtype=torch.long, device=device))
    coords = torch.as_tensor(gt.point_coords, device=device).float()
    labels = torch.as_tensor(gt.point_labels, device=device).long()
    if coords.dim() != 3 or coords.shape[-1] != 2 or \
            labels.shape != coords.shape[:2]:
        raise ValueError(
            f'{name}: point_coords must be (N, K, 2) and point_labels '
            f'(N, K), got {tuple(coords.shape)} and {tuple(labels.shape)}')
    return coords, labels


def _boxes(gt, n: int, device: torch.device):
    """(n, 4) float boxes of an image and (n,) bool: which are prompts."""
    if 'prompt_boxes' not in gt:
        return (torch.zeros(n, 4, device=device),
                torch.zeros(n, dtype=torch.bool, device=device))
    boxes = torch.as_tensor(gt.prompt_boxes, device=device).float()
    boxes = boxes.reshape(n, 4)
    if 'prompt_types' not in gt:
        return boxes, torch.ones(n, dtype=torch.bool, device=device)
    types = torch.as_tensor(gt.prompt_types, device=device)
    return boxes, (types == PromptType.BOX) | (
        types == PromptType.POINT_AND_BOX)


def _check_prompted(labels: Tensor, box_valid: Tensor, gt, name: str) -> None:
    """Refuse instances with neither a real point nor a box prompt."""
    unprompted = ~((labels != PAD_LABEL).any(1) | box_valid)
    if not unprompted.any():
        return
    fields = [k for k in ('point_coords', 'prompt_boxes', 'prompt_types')
              if k in gt]
    raise ValueError(
        f'{name}: {int(unprompted.sum())} of {len(labels)} instances have '
        'neither a point (label 0 or 1) nor a box prompt, so there is '
        f'nothing to segment them from (prompt fields present: '
        f'{fields or "none"}). End the pipeline with PointsFromMasks / '
        'BoxesFromMasks and PackPromptInputs (not PackDetInputs).')


def _cat_padded(tensors: List[Tensor], size: int, value: float) -> Tensor:
    """Concatenate (n_i, k_i, ...) tensors padded with ``value`` to k = size."""
    return torch.cat([
        F.pad(t, (0, 0) * (t.dim() - 2) + (0, size - t.shape[1]), value=value)
        for t in tensors
    ])


def random_instance_subset(data_samples: Sequence,
                           limit: Optional[int]) -> Optional[List[Tensor]]:
    """Per image, a random sorted subset of at most ``limit`` instances.

    Args:
        data_samples (Sequence[DetDataSample]): The batch.
        limit (int, optional): Instances kept per image; None keeps all.

    Returns:
        list[Tensor] | None: indices per image, or None for all.
    """
    if limit is None:
        return None
    return [
        torch.randperm(len(s.gt_instances))[:limit].sort().values
        for s in data_samples
    ]
