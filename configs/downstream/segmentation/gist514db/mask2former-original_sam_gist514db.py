# SAM initialisation, the original release's Mask2Former (the four
# stride-16 maps of the global blocks, no neck) on GIST514-DB, for comparison.
_base_ = [
    '../_base_/models/mask2former_vitsam-b_original.py',
    '../_base_/datasets/gist514db.py',
    '../_base_/schedules/adamw_8k.py',
]

model = dict(
    backbone=dict(init_cfg=_base_.encoder_inits.sam),
    **_base_.mask2former_classes)
default_hooks = dict(results=dict(init='SAM'))
