"""ViT-SAM encoder block whose attention runs as one fused SDPA call."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmpretrain.models.backbones.vit_sam import (TransformerEncoderLayer,
                                                 get_rel_pos)
from torch import Tensor


def pad_tokens(x: Tensor, multiple: int, value: Optional[Tensor]) -> Tensor:
    """Pad (B, H, W, C) tokens at the bottom / right to multiples of
    ``multiple``, filling with ``value`` (C,) or zeros when it is None."""
    batch, height, width, channels = x.shape
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    out = x.new_empty(batch, height + pad_h, width + pad_w, channels)
    out[:, :height, :width] = x
    fill = 0. if value is None else value
    out[:, height:] = fill
    out[:, :height, width:] = fill
    return out


def decomposed_rel_pos_bias(q: Tensor, rel_pos_h: Tensor, rel_pos_w: Tensor,
                            size: Tuple[int, int]) -> Tensor:
    """Additive attention bias of MViTv2's decomposed relative positions.

    The bias of query (y, x) for key (y', x') is ``q . Rh[y - y'] +
    q . Rw[x - x']`` with the unscaled query, as in SAM.

    Args:
        q (Tensor): Queries (N, heads, h * w, dims), row-major tokens.
        rel_pos_h (Tensor): Height table (L, dims); resized when
            L != 2h - 1.
        rel_pos_w (Tensor): Width table (L, dims).
        size (tuple[int, int]): Token grid (h, w).

    Returns:
        Tensor: (N, heads, h * w, h * w) bias in the dtype of ``q``.
    """
    height, width = size
    grid_q = q.unflatten(2, (height, width))
    table_h = get_rel_pos(height, height, rel_pos_h).to(q.dtype)
    table_w = get_rel_pos(width, width, rel_pos_w).to(q.dtype)
    rel_h = torch.einsum('nmyxc,ykc->nmyxk', grid_q, table_h)
    rel_w = torch.einsum('nmyxc,xkc->nmyxk', grid_q, table_w)
    bias = rel_h[..., :, None] + rel_w[..., None, :]
    return bias.flatten(4).flatten(2, 3)


class FastViTSAMLayer(TransformerEncoderLayer):
    """mmpretrain's ViT-SAM block (same modules and parameters) computing
    its windowed or global attention with ``F.scaled_dot_product_attention``
    and the relative-position bias as additive mask.

    Windowed blocks project q / k / v before padding to whole windows (a
    zero-padded token projects to the qkv bias, so the padding is that bias)
    and apply the output projection after cropping: no projection is spent
    on padding. Each window partition and reversal is a single copy.

    Args:
        with_cp (bool): Recompute the block in the backward pass instead of
            storing its activations (activation checkpointing): less memory
            for more compute. Defaults to False.
        **kwargs: Arguments of mmpretrain's ``TransformerEncoderLayer``.
    """

    def __init__(self, with_cp: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_cp = with_cp

    def forward(self, x: Tensor) -> Tensor:
        """(B, H, W, C) tokens in, (B, H, W, C) tokens out."""
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)

    def _forward(self, x: Tensor) -> Tensor:
        x = x + self._attention(self.ln1(x))
        return self.ffn(self.ln2(x), identity=x)

    def _attention(self, x: Tensor) -> Tensor:
        attn = self.attn
        batch, height, width, channels = x.shape
        heads = attn.num_heads
        qkv = attn.qkv(x)
        if self.window_size > 0:
            window_h = window_w = self.window_size
            qkv = pad_tokens(qkv, self.window_size, attn.qkv.bias)
        else:
            window_h, window_w = height, width
        grid_h, grid_w = qkv.shape[1] // window_h, qkv.shape[2] // window_w
        # (B, gh, wh, gw, ww, 3, heads, d) -> (3, B, gh, gw, heads, wh, ww, d)
        qkv = qkv.view(batch, grid_h, window_h, grid_w, window_w, 3, heads,
                       -1).permute(5, 0, 1, 3, 6, 2, 4, 7)
        q, k, v = qkv.reshape(3, batch * grid_h * grid_w, heads,
                              window_h * window_w, -1).unbind(0)
        bias = None
        if attn.use_rel_pos:
            bias = decomposed_rel_pos_bias(q, attn.rel_pos_h, attn.rel_pos_w,
                                           (window_h, window_w))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        # (B, gh, gw, heads, wh, ww, d) -> (B, gh, wh, gw, ww, heads, d)
        out = out.view(batch, grid_h, grid_w, heads, window_h, window_w,
                       -1).permute(0, 1, 4, 2, 5, 3, 6).reshape(
                           batch, grid_h * window_h, grid_w * window_w,
                           channels)
        return attn.proj(out[:, :height, :width])
