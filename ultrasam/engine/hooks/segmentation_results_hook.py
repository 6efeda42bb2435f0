"""One results-CSV line per test run of a prompt-free segmentation model."""
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmdet.registry import HOOKS
from .results_csv import append_result

SEG_CSV_FIELDS = ('timestamp', 'config', 'dataset', 'model', 'init',
                  'images', 'mDice', 'mIoU', 'segm_mAP', 'per_class_dice',
                  'log_dir')


@HOOKS.register_module()
class SegmentationResultsHook(Hook):
    """Append what a segmentation test measured to ``<work_dir>/results.csv``.

    After a test that reported ``ClassDiceIoUMetric``'s mean Dice: one line
    with the header :data:`SEG_CSV_FIELDS` (Dice / IoU in percent, segm mAP
    in 0..1 or empty), which ``tools/analysis_tools/collect_results.py``
    turns into a dataset x (model, initialisation) table. A ``results.csv``
    with another header is left alone (a warning says so).

    Args:
        init (str): Initialisation of the encoder, e.g. ``'UltraSam'``.
            Defaults to the file name of the backbone's ``Pretrained``
            checkpoint, or ``'scratch'`` when there is none.
        model_name (str): The model, e.g. ``'Mask2Former'``. Defaults to the
            detector's class name.
        dataset_name (str): Defaults to the test set's ``name`` attribute,
            else the folder of its annotation file (a US-43d per-dataset
            split: ``per_dataset/<dataset>/test.json``).
        seg_prefix (str): Prefix of the Dice / IoU keys. Defaults to 'seg'.
        coco_prefix (str): Prefix of the COCO keys. Defaults to 'coco'.
    """

    priority = 'LOW'

    def __init__(self,
                 init: str = '',
                 model_name: str = '',
                 dataset_name: str = '',
                 seg_prefix: str = 'seg',
                 coco_prefix: str = 'coco') -> None:
        self.init = init
        self.model_name = model_name
        self.dataset_name = dataset_name
        self.seg_prefix, self.coco_prefix = seg_prefix, coco_prefix

    @master_only
    def after_test_epoch(self,
                         runner: Runner,
                         metrics: Optional[Dict[str, object]] = None) -> None:
        metrics = metrics or {}
        mean_dice = metrics.get(f'{self.seg_prefix}/mDice')
        if mean_dice is None:
            return
        dataset = runner.test_dataloader.dataset
        classes = dataset.metainfo.get('classes', ())
        per_class = ';'.join(
            f'{name}={metrics[key]:.2f}' for name in classes
            if (key := f'{self.seg_prefix}/dice_{name}') in metrics)
        segm_map = metrics.get(f'{self.coco_prefix}/segm_mAP')
        append_result(
            runner, SEG_CSV_FIELDS,
            dict(
                timestamp=runner.timestamp,
                config=runner.cfg.filename or '',
                dataset=self._dataset_name(dataset),
                model=self.model_name or self._model_class(runner),
                init=self.init or self._init_name(runner),
                images=len(dataset),
                mDice=f'{mean_dice:.2f}',
                mIoU=f'{metrics[f"{self.seg_prefix}/mIoU"]:.2f}',
                segm_mAP='' if segm_map is None else f'{segm_map:.4f}',
                per_class_dice=per_class,
                log_dir=runner.log_dir))

    def _dataset_name(self, dataset: Dataset) -> str:
        if self.dataset_name:
            return self.dataset_name
        name = getattr(dataset, 'name', '')
        if name:
            return name
        ann_file = getattr(dataset, 'ann_file', '') or ''
        return osp.basename(osp.dirname(ann_file))

    @staticmethod
    def _model_class(runner: Runner) -> str:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        return type(model).__name__

    @staticmethod
    def _init_name(runner: Runner) -> str:
        init_cfg = runner.cfg.get('model', {}).get('backbone', {}).get(
            'init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('checkpoint'):
            return osp.splitext(osp.basename(init_cfg['checkpoint']))[0]
        return 'scratch'
