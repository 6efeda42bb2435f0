# MAE initialisation, Mask2Former on GIST514-DB.
_base_ = [
    '../_base_/models/mask2former_vitsam-b.py',
    '../_base_/datasets/gist514db.py',
    '../_base_/schedules/adamw_8k.py',
]

model = dict(
    backbone=dict(init_cfg=_base_.encoder_inits.mae),
    **_base_.mask2former_classes)
default_hooks = dict(results=dict(init='MAE'))
