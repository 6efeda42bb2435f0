# Unlabeled ultrasound for MAE pretraining with the USF-MAE augmentations at 224.
#
# Needs `custom_imports = dict(imports=['ultrasam'])` and `default_scope = 'mmdet'`
# (from configs/_base_/default_runtime.py); mmpretrain transforms carry
# `_scope_='mmpretrain'`.
#
# Images: the train split of a US-43d build (tools/dataset_converters/build_us43d.py);
# add any folders of unlabeled scans (PNG/JPEG/TIFF/DICOM, every frame of a cine
# loop or a stride), e.g. in a child config:
#   train_dataloader = dict(dataset=dict(sources=[
#       dict(us43d='data/us43d'),
#       dict(folder='data/unlabeled', per_subfolder=True, exclude=['*_mask*'])]))
# BUS-BRA, MMOTU-2D and GIST514-DB (USF-MAE's downstream test sets) never enter
# pretraining (`holdout`); the manifest (`ann_file`) lists every image used and
# every image left out with the reason. It is written on first use and reused
# while settings and input files are unchanged.
image_size = 224
data_root = 'data/us43d/'

# USF-MAE: burned-in annotations removed (here online, at the original
# resolution), resize to 224, rotation up to 90 degrees either way, horizontal
# and vertical flips, RandomResizedCrop(224, scale 0.5-2.0 as published; crops
# larger than the image are redrawn, falling back to the whole image), ImageNet
# normalisation in the model's data preprocessor; grey images come as 3 channels
# from LoadUltrasoundImage.
train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='RemoveOverlays'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(
        type='Rotate',
        prob=1.0,
        min_mag=0.0,
        max_mag=90.0,
        reversal_prob=0.5,
        img_border_value=0),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(
        type='RandomResizedCrop',
        _scope_='mmpretrain',
        scale=image_size,
        crop_ratio_range=(0.5, 2.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='PackInputs', _scope_='mmpretrain'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # MAE's data preprocessor stacks the batch itself.
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='UnlabeledUltrasoundDataset',
        ann_file='data/mae/manifests/us43d_train.json',
        sources=[dict(us43d=data_root, splits=['train'])],
        holdout=['BUS-BRA', 'MMOTU-2D', 'GIST514-DB'],
        frame_stride=1,
        deduplicate='file',
        pipeline=train_pipeline))
# MAE has no predict mode: pretraining runs without validation or test.
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
