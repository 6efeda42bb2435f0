"""Predicted instances of one image, with the prompts' labels and types."""
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.structures.mask import mask2bbox


def instance_results(masks: Tensor, scores: Tensor,
                     gt_instances: InstanceData) -> InstanceData:
    """``pred_instances`` of one image's prompted instances.

    Args:
        masks (Tensor): (N, H, W) bool predicted masks.
        scores (Tensor): (N,) predicted IoU.
        gt_instances (InstanceData): The image's prompted instances; their
            ``labels`` (0 when absent) and ``prompt_types`` are copied.

    Returns:
        InstanceData: ``masks``, ``scores``, ``bboxes`` (N, 4) from the masks,
        ``labels`` and, when prompted with types, ``prompt_types``.
    """
    device = scores.device
    result = InstanceData(masks=masks, scores=scores)
    result.bboxes = mask2bbox(masks).to(device)
    if 'labels' in gt_instances:
        result.labels = torch.as_tensor(gt_instances.labels,
                                        device=device).long()
    else:
        result.labels = torch.zeros(len(masks), dtype=torch.long,
                                    device=device)
    if 'prompt_types' in gt_instances:
        result.prompt_types = torch.as_tensor(gt_instances.prompt_types,
                                              device=device).long()
    return result
