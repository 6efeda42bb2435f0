# Synthetic B-mode phantoms (ultrasam/datasets/synthetic/), 256x256: the
# SyntheticPhantomDataset writes the seeded set into data_root on first use (the
# same files as `python tools/dataset_converters/make_phantom.py --out data/phantom
# --num-train 300 --num-test 50 --seed 0`), reuses it after, and refuses a
# different set there. Another set: override `generator` of both datasets, e.g.
#   --cfg-options train_dataloader.dataset.generator.num_train=100 \
#                 test_dataloader.dataset.generator.num_train=100
# Same prompts as the US-43d recipe at a CPU-friendly size.
_base_ = './us_coco_prompt.py'

dataset_type = 'SyntheticPhantomDataset'
data_root = 'data/phantom/'
image_size = 256
phantom_generator = dict(
    num_train=300, num_test=50, seed=0, image_size=image_size)

train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='RandomPromptType', prob=dict(point=0.5, box=0.5)),
    dict(type='PointsFromMasks', num_points=1, sampling='random'),
    dict(type='BoxesFromMasks', jitter_ratio=0.1, max_jitter=20),
    dict(type='PackPromptInputs'),
]
test_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='KeepOriginalMasks'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='PointsFromMasks', num_points=1, sampling='interior'),
    dict(type='PackPromptInputs'),
]
test_box_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='KeepOriginalMasks'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='BoxesFromMasks', jitter_ratio=0.),
    dict(type='PackPromptInputs'),
]

# One worker keeps augmentation randomness out of the main process (exact resume,
# see RNGStateHook) without taking a CPU core from training.
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generator=phantom_generator,
        ann_file='annotations/train.json',
        pipeline=train_pipeline))
# The phantom set has no validation split; the quickstart evaluates on test after
# training (it never selects anything on the test split).
val_dataloader = None
val_evaluator = None
test_dataloader = dict(
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generator=phantom_generator,
        ann_file='annotations/test.json',
        pipeline=test_pipeline))
