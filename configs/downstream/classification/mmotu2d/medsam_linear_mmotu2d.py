# MedSAM initialisation, linear probe on MMOTU-2D: the encoder frozen
# (frozen_stages = its 12 layers, patch and position embeddings included).
_base_ = './medsam_full_mmotu2d.py'

model = dict(backbone=dict(frozen_stages=12))
default_hooks = dict(results=dict(tuning='linear'))
