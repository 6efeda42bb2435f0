"""Promptable-segmentation metrics, registered in MMDetection's ``METRICS``."""
from .dice_iou_metric import DiceIoUMetric
from .prompt_coco_metric import PromptCocoMetric

__all__ = ['DiceIoUMetric', 'PromptCocoMetric']
