"""Promptable-segmentation metrics, registered in MMDetection's ``METRICS``, and
the classification metric, registered in MMPretrain's."""
from .class_dice_iou_metric import ClassDiceIoUMetric
from .classification_metric import ClassificationMetric
from .dice_iou_metric import DiceIoUMetric
from .prompt_coco_metric import PromptCocoMetric

__all__ = ['ClassDiceIoUMetric', 'ClassificationMetric', 'DiceIoUMetric', 'PromptCocoMetric']
