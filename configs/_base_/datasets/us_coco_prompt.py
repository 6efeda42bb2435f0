# Generic COCO-format promptable-segmentation dataset, class-agnostic (UltraSam recipe).
#
# Needs `custom_imports = dict(imports=['ultrasam'])` and `default_scope = 'mmdet'`
# (normally from the runtime base). Point it at your data in a child config:
#
#   train_dataloader = dict(dataset=dict(data_root='data/us43d/',
#                                        ann_file='annotations/train.json'))
#   val_dataloader = dict(dataset=dict(data_root='data/us43d/',
#                                      ann_file='annotations/val.json'))
#   test_dataloader = dict(dataset=dict(pipeline={{_base_.test_box_pipeline}}))
#
# `image_size` is used when this file is read: to train at another size, redefine
# the pipelines in the child config (mmengine does not re-evaluate base variables).
# Images may be PNG/JPEG/TIFF (8/16-bit, gray/RGB/RGBA) or DICOM; the COCO image
# entries may carry `frame` (DICOM frame) and `source` (dataset name, splits the
# Dice/IoU table).
dataset_type = 'UltrasoundCocoDataset'
data_root = 'data/us43d/'
image_size = 1024
backend_args = None

# One point or one box per instance with probability 0.5 each (UltraSam), after
# all geometric transforms. The model normalises and pads to image_size x image_size
# (DetDataPreprocessor with pad_size_divisor=image_size).
train_pipeline = [
    dict(type='LoadUltrasoundImage', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='RandomPromptType', prob=dict(point=0.5, box=0.5)),
    dict(type='PointsFromMasks', num_points=1, sampling='random'),
    dict(type='BoxesFromMasks', jitter_ratio=0.1, max_jitter=20),
    dict(type='PackPromptInputs'),
]
# Test protocol: one deterministic interior point per instance...
test_pipeline = [
    dict(type='LoadUltrasoundImage', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='KeepOriginalMasks'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='PointsFromMasks', num_points=1, sampling='interior'),
    dict(type='PackPromptInputs'),
]
# ...or the exact ground-truth box.
test_box_pipeline = [
    dict(type='LoadUltrasoundImage', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='KeepOriginalMasks'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='BoxesFromMasks', jitter_ratio=0.),
    dict(type='PackPromptInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='annotations/test.json'))

val_evaluator = [
    dict(type='DiceIoUMetric'),
    dict(type='PromptCocoMetric', metric=['segm', 'bbox']),
]
test_evaluator = val_evaluator
