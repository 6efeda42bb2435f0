"""Med-SA adapters around a ViT-SAM encoder layer (parameter-efficient tuning)."""
import torch
from mmpretrain.models.backbones.vit_sam import (TransformerEncoderLayer,
                                                 window_partition,
                                                 window_unpartition)
from torch import nn


class Adapter(nn.Module):
    """Bottleneck ``fc2(GELU(fc1(x)))``, optionally added to its input.

    ``fc2`` starts at zero, so a freshly inserted adapter changes nothing:
    the adapted encoder starts as exactly the pretrained one.

    Args:
        embed_dims (int): Input and output channels.
        hidden_dims (int): Bottleneck channels.
        residual (bool): Return ``x + adapter(x)`` instead of ``adapter(x)``.
    """

    def __init__(self, embed_dims: int, hidden_dims: int,
                 residual: bool) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fc2(self.act(self.fc1(x)))
        return x + out if self.residual else out


class MedSAAdapterLayer(nn.Module):
    """A ViT-SAM encoder layer with the two adapters of Med-SA (Wu et al.,
    "Medical SAM Adapter", 2023): a residual "space" adapter on the attention
    output (before the shortcut) and an "MLP" adapter parallel to the FFN,
    scaled by ``mlp_adapter_scale``::

        x = x + space_adapter(attn(ln1(x)))
        x = x + ffn(ln2(x)) + mlp_adapter_scale * mlp_adapter(ln2(x))

    The layer's own modules are taken over under their original names, so
    the parameter names (``ln1``, ``attn``, ``ln2``, ``ffn``) and a
    pretrained ViT-SAM checkpoint still fit; only the adapters are new.

    Args:
        layer (TransformerEncoderLayer): The layer to adapt.
        adapter_dims (int): Bottleneck channels of both adapters.
        mlp_adapter_scale (float): Weight of the MLP adapter.
    """

    def __init__(self, layer: TransformerEncoderLayer, adapter_dims: int,
                 mlp_adapter_scale: float) -> None:
        super().__init__()
        self.window_size = layer.window_size
        self.ln1, self.attn = layer.ln1, layer.attn
        self.ln2, self.ffn = layer.ln2, layer.ffn
        embed_dims = layer.embed_dims
        self.space_adapter = Adapter(embed_dims, adapter_dims, residual=True)
        self.mlp_adapter = Adapter(embed_dims, adapter_dims, residual=False)
        self.mlp_adapter_scale = mlp_adapter_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.ln1(x)
        if self.window_size > 0:
            height, width = x.shape[1], x.shape[2]
            x, pad_hw = window_partition(x, self.window_size)
        x = self.space_adapter(self.attn(x))
        if self.window_size > 0:
            x = window_unpartition(x, self.window_size, pad_hw,
                                   (height, width))
        x = shortcut + x
        normed = self.ln2(x)
        return self.ffn(normed, identity=x) + (
            self.mlp_adapter_scale * self.mlp_adapter(normed))
