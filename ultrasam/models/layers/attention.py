"""Multi-head attention of SAM's two-way transformer."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn


class Attention(nn.Module):
    """Multi-head attention that can shrink the projected embedding.

    Queries, keys and values are projected to ``embed_dims // downsample_rate``
    channels before attending (SAM uses rate 2 for the token <-> image
    attentions, which is where most of the decoder's compute goes), then
    projected back to ``embed_dims``. Parameter names follow segment-anything
    (``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``) so its weights load
    as they are.

    Args:
        embed_dims (int): Channels of the inputs and of the output.
        num_heads (int): Number of attention heads; must divide the internal
            channels ``embed_dims // downsample_rate``.
        downsample_rate (int): Reduction of the internal channels.
            Defaults to 1.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 downsample_rate: int = 1) -> None:
        super().__init__()
        internal_dims = embed_dims // downsample_rate
        if internal_dims % num_heads != 0:
            raise ValueError(
                f'num_heads={num_heads} must divide embed_dims // '
                f'downsample_rate = {embed_dims} // {downsample_rate} = '
                f'{internal_dims}')
        self.embed_dims = embed_dims
        self.internal_dims = internal_dims
        self.num_heads = num_heads
        self.q_proj = nn.Linear(embed_dims, internal_dims)
        self.k_proj = nn.Linear(embed_dims, internal_dims)
        self.v_proj = nn.Linear(embed_dims, internal_dims)
        self.out_proj = nn.Linear(internal_dims, embed_dims)

    def _split_heads(self, x: Tensor) -> Tensor:
        """(B, N, C) -> (B, heads, N, C / heads)."""
        b, n, c = x.shape
        x = x.reshape(b, n, self.num_heads, c // self.num_heads)
        return x.transpose(1, 2)

    def forward(self,
                q: Tensor,
                k: Tensor,
                v: Tensor,
                key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Attend from ``q`` to ``k`` / ``v``.

        Args:
            q (Tensor): Queries, (B, Nq, embed_dims).
            k (Tensor): Keys, (B, Nk, embed_dims).
            v (Tensor): Values, (B, Nk, embed_dims).
            key_padding_mask (Tensor, optional): (B, Nk) bool, True for keys
                that must be ignored (padding). Every row needs at least one
                False entry.

        Returns:
            Tensor: (B, Nq, embed_dims).
        """
        q = self._split_heads(self.q_proj(q))
        k = self._split_heads(self.k_proj(k))
        v = self._split_heads(self.v_proj(v))
        attn_mask = None
        if key_padding_mask is not None:
            # SDPA's boolean mask marks the keys to attend to.
            attn_mask = ~key_padding_mask[:, None, None, :]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        b, _, n, _ = out.shape
        out = out.transpose(1, 2).reshape(b, n, self.internal_dims)
        return self.out_proj(out)
