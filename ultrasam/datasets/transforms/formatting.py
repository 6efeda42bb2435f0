"""Packing of images, masks and prompts into data samples."""
from typing import Sequence

import numpy as np
import torch

from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from ...structures import PromptType
from .instance_utils import mask_arrays, tight_boxes

_POINT_TYPES = (PromptType.POINT, PromptType.POINT_AND_BOX)
_BOX_TYPES = (PromptType.BOX, PromptType.POINT_AND_BOX)


@TRANSFORMS.register_module()
class PackPromptInputs(PackDetInputs):
    """Pack an image and its prompts into mmdet's ``inputs`` / ``DetDataSample``.

    On top of :class:`mmdet.datasets.transforms.PackDetInputs` (``inputs`` is the
    ``uint8`` ``(3, H, W)`` BGR image; ``gt_instances`` has ``masks``, ``bboxes``,
    ``labels``; crowd instances go to ``ignored_instances``), both instance sets
    receive the prompts of :mod:`ultrasam.structures.prompt_types`:

    - ``point_coords`` (float32, (N, K, 2)) and ``point_labels`` (int64, (N, K)):
      from :class:`PointsFromMasks`; padding ``(0, 0)`` / ``-1`` when absent, and
      always padding for ``BOX`` instances. ``K >= 1``.
    - ``prompt_boxes`` (float32, (N, 4)): from :class:`BoxesFromMasks`, else the
      tight box of the mask.
    - ``prompt_types`` (int64, (N,)): from :class:`RandomPromptType`, else
      inferred from the prompt transforms that ran (``POINT``, ``BOX`` or
      ``POINT_AND_BOX`` for all instances).
    - ``ori_masks``: the original-resolution masks, when :class:`KeepOriginalMasks`
      is in the pipeline.

    An image without instances yields empty fields with these shapes (``N = 0``).

    Args:
        meta_keys (Sequence[str]): Keys of ``results`` copied to the data sample's
            metainfo. Defaults to mmdet's keys plus ``'frame'`` (DICOM frame),
            ``'source'`` (source dataset, used by the metrics), and
            ``'pixel_spacing'`` / ``'calibration'`` (physical calibration of
            the original image, from :class:`LoadUltrasoundImage`).
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape',
                                    'img_shape', 'scale_factor', 'flip',
                                    'flip_direction', 'frame', 'source',
                                    'pixel_spacing', 'calibration')
    ) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack ``results`` into ``dict(inputs=..., data_samples=...)``."""
        prompts = self._prompts(results)
        packed = super().transform(results)
        data_sample = packed['data_samples']
        ignored = results.get('gt_ignore_flags',
                              np.zeros(len(prompts['prompt_types']), bool))
        for instances, keep in ((data_sample.gt_instances, ~ignored),
                                (data_sample.ignored_instances, ignored)):
            for name, value in prompts.items():
                instances[name] = torch.from_numpy(value[keep])
            if 'ori_gt_masks' in results:
                # Indexing copies every mask; skip it in the common no-crowd case.
                instances.ori_masks = (
                    results['ori_gt_masks']
                    if keep.all() else results['ori_gt_masks'][keep])
        return packed

    @staticmethod
    def _prompts(results: dict) -> dict:
        """The prompt arrays of all instances, completed and checked."""
        if 'gt_masks' not in results:
            raise KeyError('PackPromptInputs needs gt_masks: use '
                           'LoadAnnotations(with_mask=True)')
        num = len(results['gt_masks'])
        has_points = 'gt_point_coords' in results
        has_boxes = 'gt_prompt_boxes' in results
        types = results.get('gt_prompt_types')
        if types is None:
            if not (has_points or has_boxes):
                raise KeyError(
                    'PackPromptInputs found no prompt: put '
                    'PointsFromMasks and/or BoxesFromMasks before it')
            prompt_type = (
                PromptType.POINT_AND_BOX if has_points and has_boxes else
                PromptType.POINT if has_points else PromptType.BOX)
            types = np.full(num, prompt_type, np.int64)
        else:
            missing = [
                transform for wanted, present, transform in (
                    (_POINT_TYPES, has_points, 'PointsFromMasks'),
                    (_BOX_TYPES, has_boxes, 'BoxesFromMasks'))
                if np.isin(types, wanted).any() and not present
            ]
            if missing:
                raise KeyError('gt_prompt_types asks for prompts that were '
                               f'not made: add {" and ".join(missing)} after '
                               'RandomPromptType')

        if has_points:
            coords = results['gt_point_coords'].astype(np.float32)
            labels = results['gt_point_labels'].astype(np.int64).copy()
            labels[types == PromptType.BOX] = -1
        else:
            coords = np.zeros((num, 1, 2), np.float32)
            labels = np.full((num, 1), -1, np.int64)
        if has_boxes:
            boxes = results['gt_prompt_boxes'].astype(np.float32)
        else:
            boxes = tight_boxes(mask_arrays(results['gt_masks']))
        checked = (('gt_point_coords', coords), ('gt_prompt_boxes', boxes),
                   ('gt_prompt_types', types))
        for name, value in checked:
            if len(value) != num:
                raise ValueError(
                    f'{name} has {len(value)} entries but there are {num} '
                    'masks: a transform dropped instances without updating '
                    'every per-instance key (see instance_utils.INSTANCE_KEYS)'
                )
        return dict(
            point_coords=coords,
            point_labels=labels,
            prompt_boxes=boxes,
            prompt_types=types.astype(np.int64))

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
