"""Image encoders."""
from .fast_vit_sam import FastViTSAM
from .fast_vit_sam_layer import FastViTSAMLayer

__all__ = ['FastViTSAM', 'FastViTSAMLayer']
