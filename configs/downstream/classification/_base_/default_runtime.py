# Runtime of the classification configs: the package's runtime with
# default_scope 'mmpretrain', so that every unscoped type (model, loss,
# transforms, datasets, metric, visualizer) is MMPretrain's and no same-named
# MMDetection class (CrossEntropyLoss, RandomFlip, ...) is ever picked by
# accident; the components of this package registered in MMDetection's
# registries are named 'mmdet.<type>'.
_base_ = '../../../_base_/default_runtime.py'

default_scope = 'mmpretrain'
default_hooks = dict(
    # The best checkpoint by validation macro-F1 is kept.
    checkpoint=dict(
        interval=500, max_keep_ckpts=1, save_best='cls/macro_f1',
        rule='greater'),
    visualization=dict(_delete_=True, type='VisualizationHook', enable=False),
    # Confusion-matrix PNGs and the results.csv line of each test run; the
    # init / tuning names are set by the configs below.
    results=dict(type='ClassificationResultsHook'))
custom_hooks = [
    dict(type='mmdet.RNGStateHook'),
    dict(type='mmdet.ParameterCountHook'),
]
visualizer = dict(_delete_=True, type='UniversalVisualizer',
                  vis_backends={{_base_.vis_backends}})
# Frozen parameters (linear probe, LoRA, adapters) need no gradient, so every
# parameter DDP tracks is used.
model_wrapper_cfg = dict(
    type='mmdet.DeviceAwareDistributedDataParallel',
    find_unused_parameters=False)
