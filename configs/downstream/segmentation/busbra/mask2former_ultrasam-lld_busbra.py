# mask2former_ultrasam_busbra.py with layer-wise lr decay 0.75 on top of the
# backbone's x0.1 (ViTLayerDecayOptimWrapperConstructor): block i of 12 trains
# at 0.1 x 0.75 ** (12 - i) of the base lr, the embeddings at 0.1 x 0.75 ** 13.
_base_ = './mask2former_ultrasam_busbra.py'

optim_wrapper = dict(
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75))
default_hooks = dict(results=dict(init='UltraSam, layer decay 0.75'))
