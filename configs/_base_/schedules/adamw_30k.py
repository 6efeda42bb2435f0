# UltraSam pretraining schedule (paper): AdamW lr 1e-4, wd 1e-4, L2 grad clip 0.1,
# 30k iterations, linear warm-up (x0.001) over 500 iterations, lr x0.1 at 20k and 28,888.
max_iters = 30000
val_interval = 2000

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[20000, 28888],
        gamma=0.1),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# Paper batch: 8 images per GPU x 4 GPUs (used by tools/train.py --auto-scale-lr).
auto_scale_lr = dict(enable=False, base_batch_size=32)
