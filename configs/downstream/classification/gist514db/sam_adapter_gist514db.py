# SAM initialisation, Med-SA adapters on GIST514-DB: the encoder frozen
# except the adapters of every layer (768 -> 192 -> 768) and its last layer.
_base_ = './sam_full_gist514db.py'

model = dict(backbone=dict(type='ViTSAMAdapter'))
default_hooks = dict(results=dict(tuning='adapter'))
