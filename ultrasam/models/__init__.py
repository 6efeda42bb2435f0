"""UltraSam model components, registered in MMDetection's ``MODELS``."""
from .interactive import PromptBatch, sample_corrective_clicks
from .mask_decoder import SamMaskDecoder
from .prompt_encoder import SamPromptEncoder
from .two_way_transformer import TwoWayTransformer
from .ultrasam import UltraSam

__all__ = [
    'PromptBatch', 'SamMaskDecoder', 'SamPromptEncoder', 'TwoWayTransformer',
    'UltraSam', 'sample_corrective_clicks'
]
