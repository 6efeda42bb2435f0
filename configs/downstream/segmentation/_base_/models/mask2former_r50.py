# Mask2Former on ResNet-50 (mmdet's COCO instance model: the four stages,
# strides 4-32, no neck) with the same input, head and schedule as the
# ViT-SAM configs; the frozen-BN stem and stages train at the backbone lr.
_base_ = './mask2former_vitsam-b.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch'),
    neck=None,
    panoptic_head=dict(in_channels=[256, 512, 1024, 2048]))
