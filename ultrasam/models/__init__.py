"""UltraSam model components, registered in MMDetection's ``MODELS``."""
from .backbones import FastViTSAM
from .losses import SamDiceLoss, SamFocalLoss, SamIoULoss
from .mask_decoder import SamMaskDecoder
from .prompt_encoder import SamPromptEncoder
from .two_way_transformer import TwoWayTransformer
from .ultrasam import UltraSam
from .utils import PromptBatch, sample_corrective_clicks

__all__ = [
    'FastViTSAM', 'PromptBatch', 'SamDiceLoss', 'SamFocalLoss', 'SamIoULoss',
    'SamMaskDecoder', 'SamPromptEncoder', 'TwoWayTransformer', 'UltraSam',
    'sample_corrective_clicks'
]
