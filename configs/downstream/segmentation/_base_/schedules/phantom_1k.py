# CPU budget of the phantom configs: 1000 iterations of 4 images (12.5 epochs
# of the 320 training phantoms), AdamW 5e-4 with linear warm-up over 50
# iterations and cosine decay, gradient clip 1.0, the whole model at the same
# lr (the tiny encoder is trained from scratch or from a phantom UltraSam),
# validation every 250 iterations (best checkpoint by segm mAP).
_base_ = './adamw_8k.py'

max_iters = 1000
optim_wrapper = dict(
    optimizer=dict(lr=5e-4),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        eta_min=1e-6),
]
train_cfg = dict(max_iters=max_iters, val_interval=250)
