# The US-43d recipe in bfloat16 mixed precision (GPUs with bf16 support, e.g. A100).
_base_ = './ultrasam_vitb_us43d.py'

optim_wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16')
