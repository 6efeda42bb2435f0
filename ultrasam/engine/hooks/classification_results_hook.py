"""Confusion-matrix PNGs and one results-CSV line per test run of a classifier."""
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS
from torch.utils.data import Dataset

from .results_csv import append_result
CSV_FIELDS = ('timestamp', 'config', 'dataset', 'init', 'tuning', 'images',
              'accuracy', 'macro_precision', 'macro_recall', 'macro_f1',
              'auroc', 'per_class_f1', 'log_dir')


def draw_confusion_matrix(matrix: Sequence[Sequence[int]],
                          classes: Sequence[str], title: str,
                          path: str) -> None:
    """Write a confusion matrix (rows: ground truth, columns: prediction) as
    a PNG: counts in the cells, colour by the fraction of each true class.

    Args:
        matrix: Square matrix of counts.
        classes: Class names, in index order.
        title: Figure title.
        path: Output PNG file.
    """
    counts = np.asarray(matrix)
    rows = np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = 1.2 + 0.6 * len(classes)
    figure = Figure(figsize=(side + 1.5, side + 1))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(counts / rows, cmap='Blues', vmin=0, vmax=1)
    figure.colorbar(image, ax=axes, label='fraction of the true class')
    ticks = np.arange(len(classes))
    axes.set_xticks(ticks, labels=classes, rotation=45, ha='right')
    axes.set_yticks(ticks, labels=classes)
    axes.set_xlabel('predicted')
    axes.set_ylabel('true')
    axes.set_title(title)
    for row, col in np.ndindex(counts.shape):
        dark = counts[row, col] / rows[row, 0] > 0.5
        axes.text(col, row, str(counts[row, col]), ha='center', va='center',
                  color='white' if dark else 'black')
    figure.tight_layout()
    figure.savefig(path, dpi=100)


@HOOKS.register_module()
class ClassificationResultsHook(Hook):
    """Write what :class:`ClassificationMetric` measured to the work dir.

    After every validation and test: the confusion matrix as
    ``<work_dir>/<timestamp>/confusion_matrix_{val_iter_<N>,test}.png``.
    After a test: one line appended to ``<work_dir>/results.csv`` (header
    :data:`CSV_FIELDS`; percentages, AUROC in 0..1 or empty), which
    ``tools/analysis_tools/collect_results.py`` turns into a table. A
    ``results.csv`` with another header is left alone (a warning says so).

    The dataset is named by its ``name`` attribute (``UltrasoundClsDataset``
    and ``PhantomClsDataset`` take it as an argument).

    Args:
        init (str): Initialisation, e.g. ``'UltraSam'``.
        tuning (str): Fine-tuning method, e.g. ``'full'`` or ``'lora'``.
        prefix (str): Prefix of the metric keys. Defaults to ``'cls'``.
    """

    priority = 'LOW'

    def __init__(self,
                 init: str = '',
                 tuning: str = '',
                 prefix: str = 'cls') -> None:
        self.init, self.tuning = init, tuning
        self.prefix = prefix

    def _metric(self, metrics: Dict[str, object], name: str) -> object:
        return metrics.get(f'{self.prefix}/{name}' if self.prefix else name)

    @master_only
    def after_val_epoch(self,
                        runner: Runner,
                        metrics: Optional[Dict[str, object]] = None) -> None:
        self._draw(runner, metrics or {}, f'val_iter_{runner.iter}',
                   runner.val_dataloader.dataset)

    @master_only
    def after_test_epoch(self,
                         runner: Runner,
                         metrics: Optional[Dict[str, object]] = None) -> None:
        metrics = metrics or {}
        dataset = runner.test_dataloader.dataset
        self._draw(runner, metrics, 'test', dataset)
        if self._metric(metrics, 'macro_f1') is not None:
            self._append_csv(runner, metrics, dataset)

    def _draw(self, runner: Runner, metrics: Dict[str, object], tag: str,
              dataset: Dataset) -> None:
        matrix = self._metric(metrics, 'confusion_matrix')
        if matrix is None:
            return
        path = osp.join(runner.log_dir, f'confusion_matrix_{tag}.png')
        title = ' / '.join(filter(None, (getattr(dataset, 'name', ''),
                                         self.init, self.tuning, tag)))
        draw_confusion_matrix(matrix, dataset.metainfo['classes'], title,
                              path)
        runner.logger.info(f'confusion matrix: {path}')

    def _append_csv(self, runner: Runner, metrics: Dict[str, object],
                    dataset: Dataset) -> None:
        per_class = ';'.join(
            f'{name}={self._metric(metrics, f"f1_{name}"):.2f}'
            for name in dataset.metainfo['classes'])
        auroc = self._metric(metrics, 'auroc')
        append_result(
            runner, CSV_FIELDS,
            dict(
                timestamp=runner.timestamp,
                config=runner.cfg.filename or '',
                dataset=getattr(dataset, 'name', ''),
                init=self.init,
                tuning=self.tuning,
                images=len(dataset),
                per_class_f1=per_class,
                auroc='' if auroc is None else f'{auroc:.4f}',
                log_dir=runner.log_dir,
                **{name: f'{self._metric(metrics, name):.2f}'
                   for name in ('accuracy', 'macro_precision',
                                'macro_recall', 'macro_f1')}))
