"""Runner hooks: exact-resume RNG state and ultrasound visualization."""
from .rng_state_hook import RNGStateHook
from .ultrasound_visualization_hook import UltrasoundVisualizationHook

__all__ = ['RNGStateHook', 'UltrasoundVisualizationHook']
