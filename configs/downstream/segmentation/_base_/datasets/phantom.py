# Synthetic B-mode phantoms as a 3-class instance-segmentation task (CPU
# proof): every lesion is an instance whose class is its echogenicity
# (hypoechoic, anechoic, hyperechoic: the lesion_type the generator writes into
# each annotation). PhantomSegDataset writes the seeded set into data_root on
# first use (the same files as `python tools/dataset_converters/make_phantom.py
# --out data/phantom_seg --num-train 400 --num-test 100 --seed 2`), reuses it
# after and never overwrites another set. Seed 2 keeps these images apart from
# the seed-0 set of `make demo` (the UltraSam initialisation was trained on it)
# and the seed-1 classification set. The last 80 training images validate
# (best checkpoint by segm mAP); the 100 test images are scored once.
# Pipelines as ./us_coco_seg.py at the phantoms' 256 px (jitter 0.5-2.0).
_base_ = './us_coco_seg.py'

image_size = 256
classes = ('hypoechoic', 'anechoic', 'hyperechoic')
num_classes = len(classes)
phantom = dict(
    type='PhantomSegDataset',
    data_root='data/phantom_seg/',
    data_prefix=dict(img='images/'),
    generator=dict(num_train=400, num_test=100, seed=2, image_size=image_size),
    val_images=80)

train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResize',
        scale=(image_size, image_size),
        ratio_range=(0.5, 2.0),
        resize_type='Resize',
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=(image_size, image_size),
        crop_type='absolute',
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-5, 1e-5), by_mask=True),
    dict(type='PackDetInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys={{_base_.meta_keys}}),
]

# One worker keeps augmentation randomness out of the main process (exact
# resume, see RNGStateHook) without taking a CPU core from training.
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        _delete_=True, split='train', pipeline=train_pipeline,
        filter_cfg=dict(filter_empty_gt=True), **phantom))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        _delete_=True, split='val', test_mode=True, pipeline=test_pipeline,
        **phantom))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(
        _delete_=True, split='test', test_mode=True, pipeline=test_pipeline,
        **phantom))
mask2former_classes = dict(
    panoptic_head=dict(
        num_things_classes=num_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(num_things_classes=num_classes))
mask_rcnn_classes = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes)))
