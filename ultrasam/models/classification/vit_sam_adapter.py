"""ViT-SAM encoder with Med-SA adapters: only the adapters (and the last layers) train."""
from mmpretrain.models import ViTSAM
from mmpretrain.registry import MODELS

from .medsa_adapter_layer import MedSAAdapterLayer


@MODELS.register_module()
class ViTSAMAdapter(ViTSAM):
    """``ViTSAM`` whose every layer carries Med-SA adapters
    (:class:`MedSAAdapterLayer`), with the pretrained weights frozen.

    Trainable: the adapters of every layer, all parameters of the last
    ``trainable_layers`` layers, and the neck (``channel_reduction``) when
    ``out_channels > 0``. Frozen: patch embedding, position embedding and the
    other layers' own weights. Parameter names are those of ``ViTSAM``, so a
    ``Pretrained`` ``init_cfg`` loads a converted SAM / MedSAM / UltraSam
    encoder; only the adapter weights are new (they start as identity).

    Args:
        adapter_dims (int): Adapter bottleneck channels. Defaults to 192
            (Med-SA's 0.25 x 768 for ViT-B).
        mlp_adapter_scale (float): Weight of the MLP adapter. Defaults to 0.5.
        trainable_layers (int): Last layers trained in full. Defaults to 1.
        **kwargs: ``ViTSAM`` arguments (arch, img_size, init_cfg, ...).
    """

    def __init__(self,
                 adapter_dims: int = 192,
                 mlp_adapter_scale: float = 0.5,
                 trainable_layers: int = 1,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= trainable_layers <= self.num_layers:
            raise ValueError(f'trainable_layers must be in 0..'
                             f'{self.num_layers}, got {trainable_layers}')
        for index, layer in enumerate(self.layers):
            self.layers[index] = MedSAAdapterLayer(layer, adapter_dims,
                                                   mlp_adapter_scale)
        self.trainable_layers = trainable_layers
        for name, parameter in self.named_parameters():
            parameter.requires_grad = self._trains(name)

    def _trains(self, name: str) -> bool:
        """Whether the parameter ``name`` is trained."""
        parts = name.split('.')
        if parts[0] == 'layers':
            return (int(parts[1]) >= self.num_layers - self.trainable_layers
                    or parts[2].endswith('_adapter'))
        return parts[0] == 'channel_reduction'
