"""UltraSam model components, registered in MMDetection's ``MODELS``; the
classification components (``classification``) in MMPretrain's."""
from . import classification  # noqa: F401  (registers into MMPretrain)
from .backbones import FastViTSAM
from .losses import SamDiceLoss, SamFocalLoss, SamIoULoss
from .mask_decoder import SamMaskDecoder
from .necks import SimpleFPN
from .peft import PartlyFrozenUltraSam
from .prompt_encoder import SamPromptEncoder
from .two_way_transformer import TwoWayTransformer
from .ultrasam import UltraSam
from .utils import PromptBatch, sample_corrective_clicks

__all__ = [
    'FastViTSAM', 'PartlyFrozenUltraSam', 'PromptBatch', 'SamDiceLoss',
    'SamFocalLoss', 'SamIoULoss', 'SamMaskDecoder', 'SamPromptEncoder', 'SimpleFPN',
    'TwoWayTransformer', 'UltraSam', 'sample_corrective_clicks'
]
