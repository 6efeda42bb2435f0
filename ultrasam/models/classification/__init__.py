"""Classification components on our encoders, registered in MMPretrain's
``MODELS``: the SAM-style input preprocessor and the Med-SA adapter encoder."""
from .longest_side_data_preprocessor import LongestSideClsDataPreprocessor
from .medsa_adapter_layer import Adapter, MedSAAdapterLayer
from .vit_sam_adapter import ViTSAMAdapter

__all__ = [
    'Adapter', 'LongestSideClsDataPreprocessor', 'MedSAAdapterLayer',
    'ViTSAMAdapter'
]
