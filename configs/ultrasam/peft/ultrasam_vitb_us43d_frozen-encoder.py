# The US-43d recipe with the image encoder frozen (the analogue of a linear
# probe): only the prompt encoder and mask decoder train, from SAM's weights.
_base_ = '../ultrasam_vitb_us43d.py'

model = dict(type='PartlyFrozenUltraSam', frozen=('backbone', ))
custom_hooks = [dict(type='RNGStateHook'), dict(type='ParameterCountHook')]
