# SAM initialisation, Mask R-CNN on MMOTU-2D.
_base_ = [
    '../_base_/models/mask-rcnn_vitsam-b.py',
    '../_base_/datasets/mmotu2d.py',
    '../_base_/schedules/adamw_8k.py',
]

model = dict(
    backbone=dict(init_cfg=_base_.encoder_inits.sam),
    **_base_.mask_rcnn_classes)
default_hooks = dict(results=dict(init='SAM'))
