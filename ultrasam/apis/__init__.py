"""User-facing inference API."""
from .predictor import UltraSamPredictor

__all__ = ['UltraSamPredictor']
