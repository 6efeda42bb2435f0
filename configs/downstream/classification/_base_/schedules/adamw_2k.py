# The paper's fine-tuning schedule: AdamW 1e-4 / wd 1e-4, gradient clip 0.1,
# 2000 iterations validated every 500, linear warm-up from 0.001 over 500
# iterations, x0.1 at 1600; batch 8 (the datasets' train_dataloader).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=500)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=8)
