# Fine-tuning schedule of the original Mask2Former setup (AdamW 1e-4 / wd 1e-4,
# gradient clip 0.1, backbone lr x0.1, no weight decay on the head's norms and
# query / level embeddings, batch 2) over 8000 iterations, the length its
# scheduler was made for (the original ran 30k iterations with a schedule
# ending at 8k): linear warm-up from 0.001 over 500 iterations, x0.1 at 6000
# and 7500, validation every 1000 iterations (best checkpoint by segm mAP).
# Norms inside the backbone match the 'backbone' key first (MMEngine takes the
# longest matching custom key and skips norm_decay_mult then), as in the
# original. Layer-wise lr decay: see
# ../../busbra/mask2former_ultrasam-lld_busbra.py.
max_iters = 8000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        custom_keys=dict(
            backbone=dict(lr_mult=0.1, decay_mult=1.0),
            query_embed=dict(lr_mult=1.0, decay_mult=0.0),
            query_feat=dict(lr_mult=1.0, decay_mult=0.0),
            level_embed=dict(lr_mult=1.0, decay_mult=0.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[6000, 7500], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=2)
