# CPU proof, Med-SA adapters: the UltraSam-initialised tiny encoder frozen
# except its adapters (bottleneck 24 = 0.25 x 96) and its last layer.
_base_ = './vitsam-t_ultrasam_full_phantom.py'

model = dict(backbone=dict(type='ViTSAMAdapter', adapter_dims=24))
default_hooks = dict(results=dict(tuning='adapter'))
