# UltraSam initialisation, linear probe on GIST514-DB: the encoder frozen
# (frozen_stages = its 12 layers, patch and position embeddings included).
_base_ = './ultrasam_full_gist514db.py'

model = dict(backbone=dict(frozen_stages=12))
default_hooks = dict(results=dict(tuning='linear'))
