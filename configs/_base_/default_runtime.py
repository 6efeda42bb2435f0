# Runtime shared by every UltraSam config: iteration-based training, checkpoints
# that keep optimizer / scheduler / RNG state (exact --resume), tensorboard + local logs.
default_scope = 'mmdet'
custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=2000,
        max_keep_ckpts=3,
        save_optimizer=True,
        save_param_scheduler=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='UltrasoundVisualizationHook'))
custom_hooks = [dict(type='RNGStateHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(
    type='PromptVisualizer', vis_backends=vis_backends, name='visualizer')
# Used by distributed runs (GPU, or CPU over gloo). Not every parameter gets a
# gradient every step (unchosen mask candidates, prompt embeddings not drawn).
model_wrapper_cfg = dict(
    type='DeviceAwareDistributedDataParallel', find_unused_parameters=True)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
