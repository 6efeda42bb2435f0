"""Parameter-efficient fine-tuning of the promptable UltraSam model."""
from .partly_frozen_ultrasam import PartlyFrozenUltraSam

__all__ = ['PartlyFrozenUltraSam']
