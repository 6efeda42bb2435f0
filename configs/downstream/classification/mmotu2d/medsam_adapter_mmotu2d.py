# MedSAM initialisation, Med-SA adapters on MMOTU-2D: the encoder frozen
# except the adapters of every layer (768 -> 192 -> 768) and its last layer.
_base_ = './medsam_full_mmotu2d.py'

model = dict(backbone=dict(type='ViTSAMAdapter'))
default_hooks = dict(results=dict(tuning='adapter'))
