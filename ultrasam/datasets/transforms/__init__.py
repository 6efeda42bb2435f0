"""Data transforms for promptable ultrasound segmentation."""
from .boxes import BoxesFromMasks
from .formatting import PackPromptInputs
from .keep_original_masks import KeepOriginalMasks
from .loading import LoadUltrasoundImage
from .points import PointsFromMasks, interior_points
from .prompt_type import RandomPromptType
from .remove_overlays import RemoveOverlays

__all__ = [
    'BoxesFromMasks', 'KeepOriginalMasks', 'LoadUltrasoundImage',
    'PackPromptInputs', 'PointsFromMasks', 'RandomPromptType',
    'interior_points'
]
__all__ += ['RemoveOverlays']
