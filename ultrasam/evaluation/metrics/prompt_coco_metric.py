"""COCO mask / box AP of promptable-segmentation predictions."""
import datetime
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmengine.fileio import dump, load
from mmengine.logging import MMLogger
from pycocotools import mask as mask_utils
from terminaltables import AsciiTable

from mmdet.datasets.api_wrappers import COCO, COCOeval
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmdet.structures.mask import encode_mask_results
from ...utils import to_numpy
from ..functional import masks_to_numpy, original_gt_masks

# Index of each reported area range in pycocotools' default ``areaRng``.
_AREA_INDEX = dict(mAP=0, mAP_s=1, mAP_m=2, mAP_l=3)
# IoU threshold of the single-threshold APs (all areas).
_IOU_THR = dict(mAP_50=.5, mAP_75=.75)


@METRICS.register_module()
class PromptCocoMetric(CocoMetric):
    """mmdet's COCO mask / box AP on promptable-segmentation predictions.

    Each prompt yields one prediction (``pred_instances``: ``masks`` at the
    original resolution, ``bboxes``, ``labels``) scored by the model's predicted
    IoU (``scores``); predictions are converted and matched by mmdet / pycocotools
    as usual. Predictions of models without prompts (Mask2Former, Mask R-CNN:
    any number per image, with class labels and scores) are scored the same
    way; their test pipelines load the annotations after resizing, so
    ``gt_instances.masks`` are at the original resolution. Two things differ
    from :class:`mmdet.evaluation.CocoMetric`:

    - The ground truth is built from the evaluated samples
      (``gt_instances.ori_masks`` and, as crowd regions,
      ``ignored_instances.ori_masks``, see
      :class:`ultrasam.datasets.KeepOriginalMasks`) instead of re-reading the
      annotation file, and rebuilt at every evaluation. So it is exactly what was
      prompted (instances skipped as zero-area are not counted as misses), areas
      are mask areas, and files with string ids or category names other than the
      dataset's classes evaluate correctly.
    - pycocotools' summary takes mAP over at most 100 detections per image, which
      would drop predictions of images with more than 100 prompted instances;
      here every AP uses all the predictions of an image.
    - pycocotools sorts image ids, which fails on a mix of integer and string
      ids (accepted by :class:`ultrasam.datasets.UltrasoundCocoDataset`): the
      images are numbered 1, 2, ... in the order they are evaluated, in the
      written files too (the ground-truth file keeps the dataset's id in
      ``images[].dataset_id``).

    Metric keys: ``{segm,bbox}_{mAP,mAP_50,mAP_75,mAP_s,mAP_m,mAP_l}`` (prefix
    ``coco``), with ``-1`` where no ground truth falls in an area range.

    Args:
        metric (str | Sequence[str]): ``'segm'`` and / or ``'bbox'``.
            Defaults to ``('segm', 'bbox')``.
        classwise (bool): Also report the mAP of every class. Defaults to False.
        format_only (bool): Only write the result files to ``outfile_prefix``.
            Defaults to False.
        outfile_prefix (str, optional): Prefix of the ground-truth and result
            JSON files; a temporary directory when None. Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'coco'``.
    """

    def __init__(self,
                 metric: Union[str, Sequence[str]] = ('segm', 'bbox'),
                 classwise: bool = False,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        metrics = [metric] if isinstance(metric, str) else list(metric)
        for name in metrics:
            if name not in ('segm', 'bbox'):
                raise KeyError(
                    f"metric must be 'segm' or 'bbox', got {name!r}")
        super().__init__(
            metric=metrics,
            classwise=classwise,
            format_only=format_only,
            outfile_prefix=outfile_prefix,
            collect_device=collect_device,
            prefix=prefix)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Collect predictions and ground truth of a batch as COCO records."""
        for sample in data_samples:
            pred = sample['pred_instances']
            result = dict(
                img_id=sample['img_id'],
                bboxes=to_numpy(pred['bboxes']),
                scores=to_numpy(pred['scores']),
                labels=to_numpy(pred['labels']))
            if 'masks' in pred:
                result['masks'] = encode_mask_results(
                    masks_to_numpy(pred['masks']))
            height, width = sample['ori_shape']
            gt = dict(
                width=width, height=height, img_id=sample['img_id'], anns=[])
            for key, crowd in (('gt_instances', 0), ('ignored_instances', 1)):
                if key not in sample or len(sample[key]['labels']) == 0:
                    continue
                masks = original_gt_masks(sample, key)
                labels = to_numpy(sample[key]['labels']).reshape(-1)
                for mask, label in zip(masks, labels):
                    rle = mask_utils.encode(
                        np.asfortranarray(mask.astype(np.uint8)))
                    rle['counts'] = rle['counts'].decode()
                    gt['anns'].append(
                        dict(
                            label=int(label),
                            bbox=mask_utils.toBbox(rle).tolist(),
                            area=float(mask_utils.area(rle)),
                            segmentation=rle,
                            iscrowd=crowd))
            self.results.append((gt, result))

    def gt_to_coco_json(self, gt_dicts: Sequence[dict],
                        outfile_prefix: str) -> str:
        """Write the collected ground truth as a COCO file; returns its path.

        Args:
            gt_dicts (Sequence[dict]): Ground truth of each image as collected
                by :meth:`process`, with ``img_id`` renumbered and the dataset's
                id in ``dataset_img_id``.
            outfile_prefix (str): The file is ``{outfile_prefix}.gt.json``.
        """
        images, annotations = [], []
        for gt in gt_dicts:
            images.append(
                dict(
                    id=gt['img_id'],
                    dataset_id=gt['dataset_img_id'],
                    width=gt['width'],
                    height=gt['height'],
                    file_name=''))
            for ann in gt['anns']:
                annotations.append(
                    dict(
                        # pycocotools needs numeric annotation ids from 1.
                        id=len(annotations) + 1,
                        image_id=gt['img_id'],
                        category_id=ann['label'],
                        bbox=ann['bbox'],
                        area=ann['area'],
                        segmentation=ann['segmentation'],
                        iscrowd=ann['iscrowd']))
        coco_json = dict(
            info=dict(
                date_created=str(datetime.datetime.now()),
                description='Ground truth of prompted instances '
                '(ultrasam PromptCocoMetric)'),
            images=images,
            categories=[
                dict(id=label, name=name)
                for label, name in enumerate(self.dataset_meta['classes'])
            ],
            annotations=annotations)
        path = f'{outfile_prefix}.gt.json'
        dump(coco_json, path)
        return path

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Evaluate the predictions against the collected ground truth."""
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        # pycocotools sorts image ids: number them (see the class docstring).
        coco_ids = {}
        for gt in gts:
            coco_ids.setdefault(gt['img_id'], len(coco_ids) + 1)
        gts = [
            dict(
                gt, img_id=coco_ids[gt['img_id']], dataset_img_id=gt['img_id'])
            for gt in gts
        ]
        preds = [dict(pred, img_id=coco_ids[pred['img_id']]) for pred in preds]
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
        self._coco_api = COCO(self.gt_to_coco_json(gts, outfile_prefix))
        self.cat_ids = self._coco_api.get_cat_ids(
            cat_names=self.dataset_meta['classes'])
        self.img_ids = self._coco_api.get_img_ids()
        result_files = self.results2json(preds, outfile_prefix)

        eval_results = OrderedDict()
        if self.format_only:
            logger.info(f'results are saved in {osp.dirname(outfile_prefix)}')
        else:
            max_dets = max([100] + [len(pred['scores']) for pred in preds])
            for metric in self.metrics:
                eval_results.update(
                    self._evaluate(metric, load(result_files[metric]),
                                   max_dets, logger))
        if tmp_dir is not None:
            tmp_dir.cleanup()
        return eval_results

    def _evaluate(self, metric: str, predictions: list, max_dets: int,
                  logger: MMLogger) -> Dict[str, float]:
        """COCO AP of one iou type with up to ``max_dets`` detections / image."""
        names = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']
        if not predictions:
            logger.warning(f'PromptCocoMetric: no {metric} prediction at all')
            return {f'{metric}_{name}': 0. for name in names}
        if metric == 'segm':
            # With a bbox, pycocotools would take the box area as the instance
            # area for the small / medium / large split.
            for prediction in predictions:
                prediction.pop('bbox')
        coco_eval = COCOeval(self._coco_api,
                             self._coco_api.loadRes(predictions), metric)
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = [max_dets]
        coco_eval.params.iouThrs = np.asarray(self.iou_thrs)
        coco_eval.evaluate()
        coco_eval.accumulate()
        # (iou thresholds, recall points, classes, area ranges), -1 = no data.
        precision = coco_eval.eval['precision'][..., 0]

        def mean_ap(values: np.ndarray) -> float:
            values = values[values > -1]
            return round(float(values.mean()), 3) if values.size else -1.

        stats = OrderedDict()
        for name in names:
            if name in _IOU_THR:
                index = np.flatnonzero(
                    np.isclose(coco_eval.params.iouThrs, _IOU_THR[name]))
                if index.size:
                    stats[name] = mean_ap(precision[index[0], ..., 0])
            else:
                stats[name] = mean_ap(precision[..., _AREA_INDEX[name]])
        if self.classwise:
            table = [['category', 'mAP']]
            for k, cat_id in enumerate(self.cat_ids):
                name = self._coco_api.load_cats(cat_id)[0]['name']
                stats[f'{name}_precision'] = mean_ap(precision[:, :, k, 0])
                table.append([name, f'{stats[f"{name}_precision"]:.3f}'])
            logger.info(f'{metric} per class:\n' + AsciiTable(table).table)
        logger.info(f'{metric}_mAP_copypaste: ' +
                    ' '.join(f'{value:.3f}'
                             for value in list(stats.values())[:6]) +
                    f' (up to {max_dets} detections per image)')
        return {f'{metric}_{name}': value for name, value in stats.items()}
