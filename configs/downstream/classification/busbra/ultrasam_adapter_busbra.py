# UltraSam initialisation, Med-SA adapters on BUS-BRA: the encoder frozen
# except the adapters of every layer (768 -> 192 -> 768) and its last layer.
_base_ = './ultrasam_full_busbra.py'

model = dict(backbone=dict(type='ViTSAMAdapter'))
default_hooks = dict(results=dict(tuning='adapter'))
