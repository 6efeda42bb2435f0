# What every classifier of these configs shares: an ImageClassifier fed like SAM
# (longest side resized to 1024, padded square, SAM's = ImageNet's mean / std,
# BGR -> RGB) with a linear softmax head and cross-entropy; the paper's schedule
# and the runtime. A model base adds the backbone (and neck); the leaf config
# sets head.num_classes.
_base_ = ['../default_runtime.py', '../schedules/adamw_2k.py']

img_size = 1024
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='LongestSideClsDataPreprocessor',
        size=img_size,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    head=dict(
        type='LinearClsHead',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
# Full fine-tuning unless a config says otherwise (results.csv column).
default_hooks = dict(results=dict(tuning='full'))
# How every initialisation loads its encoder: the backbone.* weights of a
# checkpoint (inits/*.py add the file: init_cfg=dict(_base_.pretrained,
# checkpoint=...)).
pretrained = dict(type='Pretrained', prefix='backbone.')
