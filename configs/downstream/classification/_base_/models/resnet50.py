# ResNet-50 (torchvision layout, mmpretrain names) with global average pooling:
# 2048-d features; same input, head and schedule as the ViT-SAM classifiers.
_base_ = './classifier.py'

model = dict(
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(in_channels=2048))
