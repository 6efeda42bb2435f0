# CPU proof, linear probe: the UltraSam-initialised tiny encoder frozen
# (frozen_stages = its 2 layers, patch and position embeddings included); only
# the linear head trains.
_base_ = './vitsam-t_ultrasam_full_phantom.py'

model = dict(backbone=dict(frozen_stages=2))
default_hooks = dict(results=dict(tuning='linear'))
