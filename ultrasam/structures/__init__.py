"""Prompt types and prompt checks shared by datasets, models and the predictor,
and the physical calibration of images."""
from .calibration import CalibratedRegion, PixelCalibration, check_spacing
from .prompt_checks import POINT_LABELS, check_prompt_shapes, check_prompts
from .prompt_types import PROMPT_TYPE_NAMES, PromptType

__all__ = [
    'CalibratedRegion', 'PixelCalibration', 'check_spacing', 'POINT_LABELS', 'PROMPT_TYPE_NAMES', 'PromptType', 'check_prompt_shapes',
    'check_prompts'
]
