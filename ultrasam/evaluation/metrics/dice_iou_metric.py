"""Per-instance Dice and IoU of promptable segmentation."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmdet.registry import METRICS
from ...structures import PROMPT_TYPE_NAMES
from ...utils import to_numpy
from ..functional import masks_to_numpy, original_gt_masks


@METRICS.register_module()
class DiceIoUMetric(BaseMetric):
    """Per-instance Dice and IoU of promptable segmentation.

    Every ground-truth instance was prompted once and has exactly one predicted
    mask (``pred_instances`` in the order of ``gt_instances``); the metric
    compares them at the original image resolution (see
    :class:`ultrasam.datasets.KeepOriginalMasks`) and averages over instances:
    overall, per prompt type, per category (when the dataset has more than one
    class) and per source dataset (when samples carry a ``source``). Values are
    percentages; a table is logged.

    An empty prediction scores 0. Images without instances contribute nothing.

    Metric keys: ``dice``, ``iou``, ``dice_<prompt type>``, ``iou_<prompt type>``,
    ``dice_cat_<class>``, ``iou_cat_<class>``, ``dice_src_<source>``,
    ``iou_src_<source>`` (prefixed by ``prefix``).

    Args:
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'prompt_seg'``.
    """

    default_prefix: Optional[str] = 'prompt_seg'

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Score every (prediction, ground truth) pair of the batch."""
        for sample in data_samples:
            gt_masks = original_gt_masks(sample)
            gt = sample['gt_instances']
            pred_masks = masks_to_numpy(sample['pred_instances']['masks'])
            if len(pred_masks) != len(gt_masks):
                raise ValueError(
                    f'{sample.get("img_path")}: {len(pred_masks)} predicted '
                    f'masks for {len(gt_masks)} prompted instances; the model '
                    'must return one prediction per prompt, in order')
            if len(gt_masks) and pred_masks.shape[1:] != gt_masks.shape[1:]:
                raise ValueError(
                    f'{sample.get("img_path")}: predicted masks are '
                    f'{pred_masks.shape[1:]}, expected the original size '
                    f'{gt_masks.shape[1:]}')
            if len(gt_masks) == 0:
                continue
            inter = (pred_masks & gt_masks).sum(axis=(1, 2)).astype(np.float64)
            total = (pred_masks.sum(axis=(1, 2)) +
                     gt_masks.sum(axis=(1, 2))).astype(np.float64)
            union = total - inter
            # Both masks empty (not produced by the prompt transforms) is a match.
            dice = np.where(total > 0, 2 * inter / np.maximum(total, 1), 1.)
            iou = np.where(union > 0, inter / np.maximum(union, 1), 1.)
            self.results.append(
                dict(
                    dice=dice,
                    iou=iou,
                    prompt_types=to_numpy(gt['prompt_types']).reshape(-1),
                    labels=to_numpy(gt['labels']).reshape(-1),
                    source=sample.get('source')))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-instance scores overall and per group."""
        logger = MMLogger.get_current_instance()
        if not results:
            logger.warning('DiceIoUMetric: no prompted instance was evaluated')
            return dict(dice=float('nan'), iou=float('nan'))
        dice = np.concatenate([r['dice'] for r in results])
        iou = np.concatenate([r['iou'] for r in results])
        types = np.concatenate([r['prompt_types'] for r in results])
        labels = np.concatenate([r['labels'] for r in results])
        sources = np.concatenate([
            np.full(
                len(r['dice']),
                str(r['source']) if r['source'] is not None else 'unknown',
                dtype=object) for r in results
        ])

        groups = [('all', '', np.ones(len(dice), bool))]
        for value in np.unique(types):
            name = PROMPT_TYPE_NAMES.get(int(value), str(value))
            groups.append((f'prompt: {name}', name, types == value))
        classes = (self.dataset_meta or {}).get('classes', ())
        if len(classes) > 1:
            for value in np.unique(labels):
                name = classes[value] if value < len(classes) else str(value)
                groups.append(
                    (f'category: {name}', f'cat_{name}', labels == value))
        if any(r['source'] is not None for r in results):
            for name in sorted(set(sources)):
                groups.append(
                    (f'source: {name}', f'src_{name}', sources == name))

        metrics = OrderedDict()
        table = [['group', 'instances', 'Dice (%)', 'IoU (%)']]
        for title, key, selected in groups:
            mean_dice = round(float(dice[selected].mean()) * 100, 2)
            mean_iou = round(float(iou[selected].mean()) * 100, 2)
            suffix = f'_{key}' if key else ''
            metrics[f'dice{suffix}'] = mean_dice
            metrics[f'iou{suffix}'] = mean_iou
            table.append([
                title,
                int(selected.sum()), f'{mean_dice:.2f}', f'{mean_iou:.2f}'
            ])
        logger.info('Per-instance Dice / IoU:\n' + AsciiTable(table).table)
        return metrics
