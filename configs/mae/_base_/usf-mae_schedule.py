# USF-MAE optimisation: AdamW (betas 0.9 / 0.95) lr = base 3e-4 x batch / 256
# (the authors searched base lr {3e-4, 1e-3} and weight decay {0.01, 0.05}),
# no decay on norms, biases and position / mask / class tokens, gradient clip
# 1.0, 100 epochs, linear warm-up over the first 10 % then cosine to 1e-5.
# fp32 `OptimWrapper` works on CPU and GPU; the *_bf16 configs use bf16 AMP (GPU).
batch_size = 64
base_lr = 3e-4
max_epochs = 100
warmup_epochs = 10

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW',
        lr=base_lr * batch_size / 256,
        betas=(0.9, 0.95),
        weight_decay=0.05),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.0),
            'mask_token': dict(decay_mult=0.0),
            'cls_token': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-5,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
# `tools/train.py --auto-scale-lr` rescales lr for another total batch size.
auto_scale_lr = dict(base_batch_size=batch_size)
