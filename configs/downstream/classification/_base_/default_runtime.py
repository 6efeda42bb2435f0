# Runtime of the classification configs. default_scope is 'mmpretrain': every
# unscoped type (model, loss, transforms, datasets, metric, visualizer) is
# MMPretrain's, so no same-named MMDetection class (CrossEntropyLoss, Resize,
# RandomFlip, ...) is ever picked by accident; the few components of this
# package registered in MMDetection's registries are named 'mmdet.<type>'.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # The best checkpoint by validation macro-F1 is kept.
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=1,
        save_best='cls/macro_f1',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # Confusion-matrix PNGs and the results.csv line of each test run; the
    # init / tuning names are set by the configs below.
    results=dict(type='ClassificationResultsHook'))
custom_hooks = [
    dict(type='mmdet.RNGStateHook'),
    dict(type='mmdet.ParameterCountHook'),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
# Frozen parameters (linear probe, LoRA, adapters) need no gradient, so every
# parameter DDP tracks is used.
model_wrapper_cfg = dict(
    type='mmdet.DeviceAwareDistributedDataParallel',
    find_unused_parameters=False)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
