"""Runner hooks: exact-resume RNG state, ultrasound visualization, parameter
counts, and the classification (PNG, CSV) and segmentation (CSV) results."""
from .classification_results_hook import ClassificationResultsHook
from .parameter_count_hook import ParameterCountHook, count_parameters
from .rng_state_hook import RNGStateHook
from .segmentation_results_hook import SegmentationResultsHook
from .ultrasound_visualization_hook import UltrasoundVisualizationHook

__all__ = [
    'ClassificationResultsHook', 'ParameterCountHook', 'RNGStateHook',
    'SegmentationResultsHook', 'UltrasoundVisualizationHook',
    'count_parameters'
]
