# The US-43d recipe with Med-SA adapters in the image encoder
# (mmpretrain.ViTSAMAdapter: the SAM encoder frozen except its adapters, its
# last layer and its neck); the prompt encoder and mask decoder train. Parameter
# names are UltraSam's plus the adapters, so load_from initialises everything
# but the adapters (which start as identity).
_base_ = '../ultrasam_vitb_us43d.py'

model = dict(backbone=dict(type='mmpretrain.ViTSAMAdapter'))
custom_hooks = [dict(type='RNGStateHook'), dict(type='ParameterCountHook')]
