"""Small multi-layer perceptrons of SAM's decoder."""
import torch.nn.functional as F
from torch import Tensor, nn


class MLP(nn.Module):
    """Stack of linear layers with ReLU in between (none after the last).

    Used for the hypernetworks that turn mask tokens into mask weights and for
    the IoU prediction head. Parameter names (``layers.i``) follow
    segment-anything.

    Args:
        in_dims (int): Input channels.
        hidden_dims (int): Channels of every hidden layer.
        out_dims (int): Output channels.
        num_layers (int): Number of linear layers (>= 1).
    """

    def __init__(self, in_dims: int, hidden_dims: int, out_dims: int,
                 num_layers: int) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        dims = [in_dims] + [hidden_dims] * (num_layers - 1) + [out_dims]
        self.layers = nn.ModuleList(
            nn.Linear(d_in, d_out) for d_in, d_out in zip(dims[:-1], dims[1:]))

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layers to the last dimension of ``x``."""
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


class MLPBlock(nn.Module):
    """Two linear layers with an activation: the transformer's feed-forward.

    Args:
        embed_dims (int): Input and output channels.
        mlp_dims (int): Hidden channels.
        act_layer (type): Activation class. Defaults to ``nn.ReLU`` (SAM's
            two-way transformer uses ReLU).
    """

    def __init__(self,
                 embed_dims: int,
                 mlp_dims: int,
                 act_layer: type = nn.ReLU) -> None:
        super().__init__()
        self.lin1 = nn.Linear(embed_dims, mlp_dims)
        self.lin2 = nn.Linear(mlp_dims, embed_dims)
        self.act = act_layer()

    def forward(self, x: Tensor) -> Tensor:
        """Feed-forward of ``x`` (..., embed_dims)."""
        return self.lin2(self.act(self.lin1(x)))
