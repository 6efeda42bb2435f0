# Ultrasound classification data: '<path> <label>' lists written by
# tools/dataset_converters/build_classification.py into
# data/classification/<dataset>/annotations/{train,val,test}.txt, images under
# images/. Images are decoded by LoadUltrasoundImage (8/16-bit PNG, JPEG,
# DICOM); resizing and padding are the model's (LongestSideClsDataPreprocessor),
# so the pipelines only augment. A dataset base sets data_root, name and
# metainfo (classes) of the three loaders, and num_classes.
dataset_type = 'UltrasoundClsDataset'

train_pipeline = [
    dict(type='mmdet.LoadUltrasoundImage'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='mmdet.LoadUltrasoundImage'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file='annotations/train.txt',
        data_prefix='images/',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file='annotations/val.txt',
        data_prefix='images/',
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='annotations/test.txt'))
val_evaluator = dict(type='ClassificationMetric')
test_evaluator = val_evaluator
