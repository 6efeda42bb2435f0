# CPU quickstart: a tiny UltraSam trained from scratch on synthetic phantoms
# (`make demo`). Tested with one interior point per instance; see
# ultrasam_vitt_phantom_box.py for box prompts.
_base_ = [
    '../_base_/models/ultrasam_vitt.py',
    '../_base_/datasets/phantom.py',
    '../_base_/schedules/adamw_30k.py',
    '../_base_/default_runtime.py',
]

max_iters = 1200
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0))
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
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
val_cfg = None
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
log_processor = dict(window_size=20)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
