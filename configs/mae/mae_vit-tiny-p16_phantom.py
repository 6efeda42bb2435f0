# CPU proof of MAE pretraining: a tiny MAE on the synthetic phantoms, from a fresh
# clone with `python tools/train.py configs/mae/mae_vit-tiny-p16_phantom.py`.
# The phantom set (the quickstart's: 300 train / 50 test, seed 0, 256 px) is
# generated into data/phantom/ when absent and reused when present; pretraining
# uses its train images only (the test images stay held out for evaluation).
# The encoder has the dimensions of the tiny UltraSam / ViTSAM (96 dims, 2 layers,
# 4 heads, patch 16), so its checkpoint initialises
# configs/ultrasam/ultrasam_vitt_phantom.py after
#   python tools/model_converters/convert_mae.py CKPT OUT.pth --to vit-sam \
#       --config configs/ultrasam/ultrasam_vitt_phantom.py
_base_ = [
    './_base_/usf-mae_vit-base-p16.py',
    './_base_/unlabeled_us_224.py',
    './_base_/usf-mae_schedule.py',
    './_base_/mae_runtime.py',
]

image_size = 128
patch_size = 16
embed_dims = 96
max_iters = 2000
phantom_generator = dict(num_train=300, num_test=50, seed=0, image_size=256)

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=embed_dims,
            num_layers=2,
            num_heads=4,
            feedforward_channels=4 * embed_dims),
        img_size=image_size,
        patch_size=patch_size),
    neck=dict(
        num_patches=(image_size // patch_size)**2,
        patch_size=patch_size,
        embed_dim=embed_dims,
        decoder_embed_dim=64,
        decoder_depth=2,
        decoder_num_heads=4),
    head=dict(patch_size=patch_size))

train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomResizedCrop',
        _scope_='mmpretrain',
        scale=image_size,
        crop_ratio_range=(0.5, 1.0),
        backend='cv2',
        interpolation='bilinear'),
    dict(type='PackInputs', _scope_='mmpretrain'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    # Never exhausted: MMEngine pauses 2 s whenever an iteration-based loop
    # restarts its dataloader, which a small set would do every few steps.
    sampler=dict(type='InfiniteSampler'),
    dataset=dict(
        ann_file='data/mae/manifests/phantom_train.json',
        sources=[
            dict(
                phantom='data/phantom/',
                generator=phantom_generator,
                split='train')
        ],
        pipeline=train_pipeline))

# The recipe's AdamW, clip and no-decay groups; a tiny model takes a larger lr.
optim_wrapper = dict(optimizer=dict(lr=1.5e-3))
auto_scale_lr = dict(base_batch_size=16)
# Warm-up and cosine decay overlap (MMEngine chains them), so overriding only
# param_scheduler.1.end works for any train_cfg.max_iters.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        eta_min=1e-5),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=20)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
