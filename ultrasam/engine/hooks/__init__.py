"""Runner hooks: exact-resume RNG state, ultrasound visualization, parameter
counts, and the classification results (PNG, CSV)."""
from .classification_results_hook import ClassificationResultsHook
from .parameter_count_hook import ParameterCountHook, count_parameters
from .rng_state_hook import RNGStateHook
from .ultrasound_visualization_hook import UltrasoundVisualizationHook

__all__ = [
    'ClassificationResultsHook', 'ParameterCountHook', 'RNGStateHook',
    'UltrasoundVisualizationHook', 'count_parameters'
]
