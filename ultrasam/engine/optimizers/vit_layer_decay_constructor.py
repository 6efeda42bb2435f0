"""Layer-wise learning-rate decay of a ViT backbone inside any detector."""
from typing import List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor

from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ViTLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """MMEngine's default constructor plus layer-wise lr decay of the backbone.

    Parameter groups are made exactly as by
    :class:`mmengine.optim.DefaultOptimWrapperConstructor` (``custom_keys``
    with ``lr_mult`` / ``decay_mult``, ``norm_decay_mult``, ...); then the
    learning rate of every parameter is multiplied by
    ``layer_decay_rate ** (num_layers - 1 - depth)``, with ``depth`` and
    ``num_layers`` from the backbone's ``get_layer_depth(name,
    prefix='backbone.')`` (ViT-SAM: 0 for the patch and position embeddings,
    ``i + 1`` for block ``i``, the maximum for everything else, so the neck
    and heads keep their rate). Both factors combine: with
    ``custom_keys={'backbone': dict(lr_mult=0.1)}`` the last block trains at
    ``0.1 x rate`` of the base lr and the embeddings at
    ``0.1 x rate ** (num_layers - 1)``.

    mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` needs
    ``get_layer_depth`` on the whole model (a detector has none) and ignores
    ``lr_mult``; mmdet's ``LayerDecayOptimizerConstructor`` knows ConvNeXt
    only.

    Args:
        optim_wrapper_cfg (dict): The optimizer wrapper config.
        paramwise_cfg (dict, optional): ``DefaultOptimWrapperConstructor``'s
            options plus ``layer_decay_rate`` (float in (0, 1], default 1:
            no decay).
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        # The key stays in paramwise_cfg (the parent ignores it): with an
        # empty paramwise_cfg the parent would skip add_params altogether.
        rate = (paramwise_cfg or {}).get('layer_decay_rate', 1.0)
        if isinstance(rate, bool) or not isinstance(
                rate, (int, float)) or not 0 < rate <= 1:
            raise ValueError('paramwise_cfg.layer_decay_rate must be a number '
                             f'in (0, 1], got {rate!r}')
        self.layer_decay_rate = float(rate)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module=None) -> None:
        """Add the groups of ``module`` (see the class docstring)."""
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix:
            return  # a recursive call: the model is scaled once, at the top
        # A distributed run builds the optimizer of the wrapped model.
        model = module.module if is_model_wrapper(module) else module
        backbone = getattr(model, 'backbone', None)
        get_layer_depth = getattr(backbone, 'get_layer_depth', None)
        if get_layer_depth is None:
            raise TypeError(
                f'ViTLayerDecayOptimWrapperConstructor: the backbone of '
                f'{type(model).__name__} ({type(backbone).__name__}) has no '
                'get_layer_depth(); layer-wise lr decay needs a ViT backbone '
                'such as FastViTSAM')
        names = {id(param): name for name, param in model.named_parameters()}
        scales = {}
        for group in params:
            name = names[id(group['params'][0])]
            depth, num_layers = get_layer_depth(name, prefix='backbone.')
            scale = self.layer_decay_rate**(num_layers - 1 - depth)
            group['lr'] = group.get('lr', self.base_lr) * scale
            scales[depth] = scale
        print_log(
            f'layer-wise lr decay {self.layer_decay_rate}: lr x ' + ', '.join(
                f'{scales[depth]:.4g} (depth {depth})'
                for depth in sorted(scales)),
            logger='current')
