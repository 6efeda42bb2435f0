# ImageNet ResNet-50 backbone, Mask2Former on TN3K.
_base_ = [
    '../_base_/models/mask2former_r50.py',
    '../_base_/datasets/tn3k.py',
    '../_base_/schedules/adamw_8k.py',
]

model = dict(
    backbone=dict(init_cfg=_base_.encoder_inits.imagenet_resnet50),
    **_base_.mask2former_classes)
default_hooks = dict(results=dict(init='ImageNet ResNet-50'))
