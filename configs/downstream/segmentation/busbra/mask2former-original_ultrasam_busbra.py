# UltraSam initialisation, the original release's Mask2Former (the four
# stride-16 maps of the global blocks, no neck) on BUS-BRA, for comparison.
_base_ = [
    '../_base_/models/mask2former_vitsam-b_original.py',
    '../_base_/datasets/busbra.py',
    '../_base_/schedules/adamw_8k.py',
]

model = dict(
    backbone=dict(init_cfg=_base_.encoder_inits.ultrasam),
    **_base_.mask2former_classes)
default_hooks = dict(results=dict(init='UltraSam'))
