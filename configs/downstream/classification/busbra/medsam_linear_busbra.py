# MedSAM initialisation, linear probe on BUS-BRA: the encoder frozen
# (frozen_stages = its 12 layers, patch and position embeddings included).
_base_ = './medsam_full_busbra.py'

model = dict(backbone=dict(frozen_stages=12))
default_hooks = dict(results=dict(tuning='linear'))
