"""Single-label classification scores: accuracy, macro P/R/F1, per-class F1, AUROC."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS
from terminaltables import AsciiTable

from ...utils import to_numpy


@METRICS.register_module()
class ClassificationMetric(BaseMetric):
    """Scores of a single-label classifier, with the confusion matrix.

    The predicted class is the arg-max of ``pred_score`` (so the original
    release's multi-label sigmoid head is scored like a softmax head).
    Precision, recall and F1 are computed per class and averaged over *all*
    classes of the dataset (macro); a class without predictions has precision
    0, a class absent from the ground truth has recall 0 (and is named in a
    warning). Accuracy, precision, recall and F1 are percentages; AUROC (of
    the class-1 score, binary tasks only; left out, with a warning, when the
    split holds a single class) is in 0..1. A table is logged.

    Metric keys (prefixed by ``prefix``): ``accuracy``, ``macro_precision``,
    ``macro_recall``, ``macro_f1``, ``f1_<class>``, ``auroc``, and
    ``confusion_matrix`` (a list of rows: ground truth, columns: prediction),
    which :class:`ClassificationResultsHook` draws.

    Args:
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'cls'``.
    """

    default_prefix: Optional[str] = 'cls'

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the class scores and the label of every sample."""
        for sample in data_samples:
            scores = to_numpy(sample['pred_score'], np.float64).reshape(-1)
            label = to_numpy(sample['gt_label']).reshape(-1)
            if label.size != 1:
                raise ValueError(
                    f'{sample.get("img_path")}: ClassificationMetric scores '
                    f'single-label data, got gt_label {label.tolist()}')
            self.results.append(dict(scores=scores, label=int(label[0])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, object]:
        """Scores over every sample of the split."""
        classes = tuple(self.dataset_meta.get('classes') or ())
        scores = np.stack([r['scores'] for r in results])
        labels = np.array([r['label'] for r in results])
        num_classes = scores.shape[1]
        if not classes:
            classes = tuple(str(i) for i in range(num_classes))
        if len(classes) != num_classes:
            raise ValueError(
                f'the model scores {num_classes} classes but the dataset has '
                f'{len(classes)} ({", ".join(classes)}): set the head\'s '
                'num_classes to the number of classes')
        predictions = scores.argmax(axis=1)
        matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        np.add.at(matrix, (labels, predictions), 1)
        true_positives = np.diag(matrix).astype(np.float64)
        precision = _ratio(true_positives, matrix.sum(axis=0))
        recall = _ratio(true_positives, matrix.sum(axis=1))
        f1 = _ratio(2 * precision * recall, precision + recall)
        metrics = dict(
            accuracy=100 * true_positives.sum() / len(labels),
            macro_precision=100 * precision.mean(),
            macro_recall=100 * recall.mean(),
            macro_f1=100 * f1.mean())
        metrics.update({f'f1_{name}': 100 * value
                        for name, value in zip(classes, f1)})
        logger = MMLogger.get_current_instance()
        absent = [name for name, count in zip(classes, matrix.sum(axis=1))
                  if count == 0]
        if absent:
            logger.warning(f'classes absent from the evaluated split (recall '
                           f'0 in the macro average): {", ".join(absent)}')
        if num_classes == 2:
            if absent:
                logger.warning('AUROC left out: the split holds one class')
            else:
                metrics['auroc'] = binary_auroc(scores[:, 1], labels == 1)
        table = [['class', 'images', 'precision', 'recall', 'F1']] + [
            [name, int(count), f'{100 * p:.2f}', f'{100 * r:.2f}',
             f'{100 * f:.2f}']
            for name, count, p, r, f in zip(classes, matrix.sum(axis=1),
                                            precision, recall, f1)
        ]
        logger.info('\n' + AsciiTable(table).table)
        metrics = {key: float(value) for key, value in metrics.items()}
        metrics['confusion_matrix'] = matrix.tolist()
        return metrics


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio, 0 where the denominator is 0."""
    return np.divide(numerator, denominator,
                     out=np.zeros_like(numerator, dtype=np.float64),
                     where=denominator > 0)


def binary_auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: the probability that a positive sample
    scores above a negative one, ties counting one half (Mann-Whitney U).

    Args:
        scores (np.ndarray): (N,) score of the positive class.
        positive (np.ndarray): (N,) bool, True for positive samples; both
            classes must occur.

    Returns:
        float: AUROC in 0..1.
    """
    order = np.argsort(scores, kind='mergesort')
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    # Tied scores share the mean of their ranks.
    unique, inverse = np.unique(scores, return_inverse=True)
    mean_rank = np.bincount(inverse, weights=ranks) / np.bincount(inverse)
    ranks = mean_rank[inverse] if len(unique) < len(scores) else ranks
    num_pos = int(positive.sum())
    num_neg = len(scores) - num_pos
    rank_sum = ranks[positive].sum()
    return float((rank_sum - num_pos * (num_pos + 1) / 2) /
                 (num_pos * num_neg))
