# Multi-class ultrasound instance segmentation from the per-dataset COCO files
# of a US-43d build (the dataset's own categories):
#   python tools/dataset_converters/build_us43d.py --raw-root RAW \
#       --out data/us43d --datasets BUS-BRA GIST514-DB MMOTU-2D BUSI TN3K
# writes data/us43d/annotations/per_dataset/<dataset>/{train,val,test}.json
# (seeded patient-level splits, official test sets kept; the full US-43d build
# writes them too). A dataset base sets `split_dir`, `classes` and
# `num_classes` and the class wiring of both heads; validation uses the
# dataset's val split, the test split is scored once.
# Training: large-scale jitter as the original (random resize 0.1-2.0 of 1024,
# crop 1024) and flips; testing: longest side 1024. The model pads to
# 1024 x 1024. Annotations are loaded after the test resize, so ground truth
# stays at the original resolution, where the predictions are scored.
dataset_type = 'UltrasoundCocoDataset'
data_root = 'data/us43d/'
image_size = 1024
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'flip', 'flip_direction', 'frame', 'source')

train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResize',
        scale=(image_size, image_size),
        ratio_range=(0.1, 2.0),
        resize_type='Resize',
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=(image_size, image_size),
        crop_type='absolute',
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-5, 1e-5), by_mask=True),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img='images/'),
        class_agnostic=False,
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img='images/'),
        class_agnostic=False,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# COCO mask / box AP on the ground truth of the evaluated samples (the same
# numbers as mmdet's CocoMetric on a plain COCO file; also right for string
# ids and skipped zero-area masks) and per-class Dice / IoU of class maps.
val_evaluator = [
    dict(type='PromptCocoMetric', metric=['segm', 'bbox']),
    dict(type='ClassDiceIoUMetric', score_thr=0.5),
]
test_evaluator = val_evaluator
