# MedSAM initialisation, Mask R-CNN on GIST514-DB.
_base_ = [
    '../_base_/models/mask-rcnn_vitsam-b.py',
    '../_base_/datasets/gist514db.py',
    '../_base_/schedules/adamw_8k.py',
]

model = dict(
    backbone=dict(init_cfg=_base_.encoder_inits.medsam),
    **_base_.mask_rcnn_classes)
default_hooks = dict(results=dict(init='MedSAM'))
