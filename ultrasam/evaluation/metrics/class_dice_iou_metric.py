"""Per-class Dice and IoU of (non-promptable) instance predictions."""
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmdet.registry import METRICS
from ...utils import to_numpy
from ..functional import masks_to_numpy, original_gt_masks


@METRICS.register_module()
class ClassDiceIoUMetric(BaseMetric):
    """Per-class Dice and IoU of a model predicting classes and masks alone.

    The prompt-free companion of :class:`DiceIoUMetric` (Mask2Former, Mask
    R-CNN): every image becomes a class map twice, from its ground-truth
    instances (``gt_instances`` masks at the original resolution, see
    :func:`ultrasam.evaluation.original_gt_masks`) and from its predicted
    instances scoring at least ``score_thr`` (painted from the lowest to the
    highest score, so the most confident wins where they overlap). Per class,
    intersections and areas are summed over the whole split, so
    ``Dice = 2 |P & G| / (|P| + |G|)`` and ``IoU = |P & G| / |P | G|``
    penalise missed lesions, false detections and wrong classes alike.
    Crowd (ignored) regions are not scored. Values are percentages; a class
    neither annotated nor predicted anywhere has no score (named in a
    warning) and is left out of the means.

    Metric keys: ``mDice``, ``mIoU`` (means over the scored classes),
    ``dice_<class>``, ``iou_<class>`` (prefixed by ``prefix``).

    Args:
        score_thr (float): Predictions scoring below this are not drawn.
            Defaults to 0.5.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'seg'``.
    """

    default_prefix: Optional[str] = 'seg'

    def __init__(self,
                 score_thr: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if isinstance(score_thr, bool) or not isinstance(
                score_thr, (int, float)) or not 0 <= score_thr <= 1:
            raise ValueError('ClassDiceIoUMetric: score_thr must be a number '
                             f'in [0, 1], got {score_thr!r}')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.score_thr = float(score_thr)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Sum the per-class areas of every sample of the batch."""
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            gt_masks = original_gt_masks(sample)
            gt_labels = to_numpy(sample['gt_instances']['labels']).reshape(-1)
            shape = tuple(sample['ori_shape'])
            gt_map = self._class_map(gt_masks, gt_labels, shape)
            pred = sample['pred_instances']
            scores = to_numpy(pred['scores']).reshape(-1)
            keep = np.flatnonzero(scores >= self.score_thr)
            keep = keep[np.argsort(scores[keep], kind='stable')]
            pred_masks = masks_to_numpy(pred['masks'])[keep] if len(
                keep) else np.zeros((0, ) + shape, bool)
            if pred_masks.shape[1:] != shape:
                raise ValueError(
                    f'{sample.get("img_path")}: predicted masks are '
                    f'{pred_masks.shape[1:]}, expected the original size '
                    f'{shape} (predict with rescale=True)')
            pred_labels = to_numpy(pred['labels']).reshape(-1)[keep]
            pred_map = self._class_map(pred_masks, pred_labels, shape)
            if 'ignored_instances' in sample and len(
                    sample['ignored_instances']['labels']):
                ignored = original_gt_masks(sample, 'ignored_instances')
                scored = ~ignored.any(axis=0)
                gt_map, pred_map = gt_map[scored], pred_map[scored]
            bins = num_classes + 1  # 0 = background
            self.results.append(
                dict(
                    intersection=np.bincount(
                        gt_map[gt_map == pred_map], minlength=bins)[1:],
                    pred=np.bincount(pred_map.ravel(), minlength=bins)[1:],
                    gt=np.bincount(gt_map.ravel(), minlength=bins)[1:]))

    def _class_map(self, masks: np.ndarray, labels: np.ndarray,
                   shape: tuple) -> np.ndarray:
        """``(H, W)`` map of class index + 1 (0 = background), later masks on
        top."""
        num_classes = len(self.dataset_meta['classes'])
        bad = labels[(labels < 0) | (labels >= num_classes)]
        if bad.size:
            raise ValueError(f'ClassDiceIoUMetric: label {int(bad[0])} is not '
                             f'one of the {num_classes} classes')
        class_map = np.zeros(shape, np.int64)
        for mask, label in zip(masks, labels):
            class_map[mask] = int(label) + 1
        return class_map

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Dice and IoU per class from the summed areas, and their means."""
        logger = MMLogger.get_current_instance()
        classes = self.dataset_meta['classes']
        inter, pred, gt = (np.sum([r[key] for r in results], axis=0)
                           for key in ('intersection', 'pred', 'gt'))
        total = (pred + gt).astype(np.float64)
        union = total - inter
        scored = total > 0
        dice = np.where(scored, 2 * inter / np.maximum(total, 1), np.nan)
        iou = np.where(scored, inter / np.maximum(union, 1), np.nan)
        if not scored.all():
            logger.log(
                logging.WARNING, 'ClassDiceIoUMetric: classes neither '
                'annotated nor predicted in this split (no score): ' +
                ', '.join(c for c, s in zip(classes, scored) if not s))
        metrics = OrderedDict()
        metrics['mDice'] = round(float(np.nanmean(dice)) * 100, 2) if \
            scored.any() else float('nan')
        metrics['mIoU'] = round(float(np.nanmean(iou)) * 100, 2) if \
            scored.any() else float('nan')
        table = [['class', 'GT pixels', 'predicted pixels', 'Dice (%)',
                  'IoU (%)']]
        for index, name in enumerate(classes):
            metrics[f'dice_{name}'] = round(float(dice[index]) * 100, 2)
            metrics[f'iou_{name}'] = round(float(iou[index]) * 100, 2)
            table.append([
                name,
                int(gt[index]),
                int(pred[index]), f'{metrics[f"dice_{name}"]:.2f}',
                f'{metrics[f"iou_{name}"]:.2f}'
            ])
        logger.info('Per-class Dice / IoU (class maps, predictions scoring '
                    f'>= {self.score_thr}):\n' + AsciiTable(table).table)
        return metrics
