"""Random-Fourier-feature positional encoding of SAM's prompt encoder."""
import math
from typing import Tuple

import torch
from torch import Tensor, nn


class RandomFourierPositionalEncoding(nn.Module):
    """Encode 2-d positions with random spatial frequencies.

    A position ``p`` in [0, 1]^2 is mapped to ``[sin(f), cos(f)]`` with
    ``f = 2 pi (2 p - 1) G`` and ``G`` a fixed Gaussian (2, num_feats) matrix.
    Stored as the buffer ``positional_encoding_gaussian_matrix`` (the name in
    segment-anything checkpoints) so that converted weights carry the exact
    frequencies the model was trained with.

    Args:
        num_feats (int): Frequencies; the encoding has ``2 * num_feats``
            channels.
        scale (float): Standard deviation of the frequencies. Defaults to 1.
    """

    def __init__(self, num_feats: int, scale: float = 1.0) -> None:
        super().__init__()
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.register_buffer('positional_encoding_gaussian_matrix',
                             scale * torch.randn(2, num_feats))

    def encode(self, coords: Tensor) -> Tensor:
        """Encode positions normalised to [0, 1]: (..., 2) -> (..., C)."""
        coords = 2 * coords - 1
        coords = coords @ self.positional_encoding_gaussian_matrix
        coords = 2 * math.pi * coords
        return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)

    def grid(self, size: Tuple[int, int]) -> Tensor:
        """Encoding of the centres of an (h, w) grid, as (C, h, w)."""
        h, w = size
        device = self.positional_encoding_gaussian_matrix.device
        ys = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) / h
        xs = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) / w
        yy, xx = torch.meshgrid(ys, xs, indexing='ij')
        return self.encode(torch.stack([xx, yy], dim=-1)).permute(2, 0, 1)

    def forward(self, coords: Tensor, image_size: Tuple[int, int]) -> Tensor:
        """Encode (x, y) positions in an (h, w) image: (..., 2) -> (..., C)."""
        h, w = image_size
        return self.encode(coords.float() / coords.new_tensor([w, h]).float())
