"""ViT-SAM encoder block whose attention runs as fused SDPA calls."""
import math
from typing import Iterator, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmpretrain.models.backbones.vit_sam import (TransformerEncoderLayer,
                                                 get_rel_pos)
from torch import Tensor

# glibc's malloc hands blocks of 32 MiB and more back to the OS when they are
# freed, so each new one is mapped afresh and page-faulted in on first touch,
# which costs about as much as the arithmetic on it. On CPU the big
# temporaries (attention masks, MLP activations) are therefore made in pieces
# of at most this many elements (16 MiB in float32), which malloc reuses.
CPU_CHUNK_NUMEL = 2**22


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


def attention_chunks(num_samples: int, num_heads: int, num_queries: int,
                     num_keys: int, max_numel: Optional[int]
                     ) -> Iterator[Tuple[slice, slice, slice]]:
    """(sample, head, query) slices covering an attention mask of
    ``num_samples x num_heads x num_queries x num_keys`` in pieces of at most
    ``max_numel`` elements (None: one piece). Whole samples when one fits,
    else groups of heads, else query ranges of one head, so that each head's
    keys are read by as few calls as possible."""
    per_head = num_queries * num_keys
    per_sample = num_heads * per_head
    everything = slice(None)
    if max_numel is None or num_samples * per_sample <= max_numel:
        yield everything, everything, everything
        return
    if per_sample <= max_numel:
        step = max_numel // per_sample
        for start in range(0, num_samples, step):
            yield slice(start, start + step), everything, everything
        return
    head_step = max_numel // per_head
    query_step = max(1, max_numel // num_keys)
    for sample in range(num_samples):
        samples = slice(sample, sample + 1)
        if head_step > 0:
            for start in range(0, num_heads, head_step):
                yield samples, slice(start, start + head_step), everything
            continue
        for head in range(num_heads):
            for start in range(0, num_queries, query_step):
                yield samples, slice(head, head + 1), slice(
                    start, start + query_step)


def rel_pos_attention(q: Tensor,
                      k: Tensor,
                      v: Tensor,
                      rel_pos_h: Tensor,
                      rel_pos_w: Tensor,
                      size: Tuple[int, int],
                      max_mask_numel: Optional[int] = None) -> Tensor:
    """Attention with MViTv2's decomposed relative positions, as in SAM.

    The logit of query (y, x) for key (y', x') is ``q . k / sqrt(d) +
    q . Rh[y - y'] + q . Rw[x - x']`` (unscaled query in the bias terms);
    the bias is the additive mask of ``F.scaled_dot_product_attention``.

    Args:
        q, k, v (Tensor): (N, heads, h * w, d), row-major token grids.
        rel_pos_h (Tensor): Height table (L, d), resized when L != 2h - 1.
        rel_pos_w (Tensor): Width table (L, d).
        size (tuple[int, int]): Token grid (h, w).
        max_mask_numel (int, optional): Build the (N, heads, hw, hw) mask
            and attend in pieces of at most this many mask elements
            (:func:`attention_chunks`); None does it in one call.

    Returns:
        Tensor: (N, heads, h * w, d).
    """
    height, width = size
    num, heads, num_queries, _ = q.shape
    grid_q = q.unflatten(2, (height, width))
    table_h = get_rel_pos(height, height, rel_pos_h).to(q.dtype)
    table_w = get_rel_pos(width, width, rel_pos_w).to(q.dtype)
    # Row-major (einsum may return a permuted view), so that the broadcast
    # sums below come out row-major and flatten without a copy.
    rel_h = torch.einsum('nmyxc,ykc->nmyxk', grid_q,
                         table_h).contiguous().flatten(2, 3)
    rel_w = torch.einsum('nmyxc,xkc->nmyxk', grid_q,
                         table_w).contiguous().flatten(2, 3)
    chunks = list(
        attention_chunks(num, heads, num_queries, num_queries,
                         max_mask_numel))
    out = None if len(chunks) == 1 else torch.empty_like(q)
    # Without autograd the pieces share one mask buffer: a fresh one each
    # time can land on memory malloc has just returned to the OS.
    buffer = None if torch.is_grad_enabled() or out is None else \
        q.new_empty(max_mask_numel)
    for samples, head_range, queries in chunks:
        part_h = rel_h[samples, head_range, queries, :, None]
        part_w = rel_w[samples, head_range, queries, None, :]
        if buffer is None:
            bias = part_h + part_w
        else:
            shape = (*part_h.shape[:-1], width)
            bias = buffer[:math.prod(shape)].view(shape)
            torch.add(part_h, part_w, out=bias)
        part = F.scaled_dot_product_attention(
            q[samples, head_range, queries],
            k[samples, head_range],
            v[samples, head_range],
            attn_mask=bias.flatten(3))
        if out is None:
            return part
        out[samples, head_range, queries] = part
    return out


class FastViTSAMLayer(TransformerEncoderLayer):
    """mmpretrain's ViT-SAM block (same modules and parameters) computing
    its windowed or global attention with ``F.scaled_dot_product_attention``
    and the relative-position bias as additive mask.

    q, k and v are projected separately and before padding to whole windows
    (a zero-padded token projects to the bias, so the padding is the bias);
    the output projection runs after cropping: no projection is spent on
    padding. Each window partition and reversal is a single copy. On CPU in
    eval mode, masks and MLP activations are computed in pieces of at most
    ``CPU_CHUNK_NUMEL`` elements (see there why).

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

    def _chunk_numel(self, x: Tensor) -> Optional[int]:
        # Stochastic depth drops whole samples: no token chunks in training.
        if self.training or x.device.type != 'cpu':
            return None
        # A trace would bake the piece sizes of one input size into a graph
        # meant for every size (ONNX export has dynamic height and width).
        if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            return None
        return CPU_CHUNK_NUMEL

    def _forward(self, x: Tensor) -> Tensor:
        x = x + self._attention(self.ln1(x))
        chunk_numel = self._chunk_numel(x)
        if chunk_numel is None:
            return self.ffn(self.ln2(x), identity=x)
        tokens = x.flatten(1, 2)
        step = max(1,
                   chunk_numel // (x.shape[0] * self.ffn.feedforward_channels))
        return torch.cat([
            self.ffn(self.ln2(part), identity=part)
            for part in tokens.split(step, dim=1)
        ], dim=1).view_as(x)

    def _project_qkv(self, x: Tensor) -> Iterator[Tuple[Tensor, Tensor]]:
        """q, k and v tokens of ``x``, each with the value a zero (padding)
        token projects to."""
        qkv = self.attn.qkv
        if type(qkv) is nn.Linear:
            # Three projections: no (B, H, W, 3C) tensor to slice and copy.
            biases = (None, ) * 3 if qkv.bias is None else qkv.bias.chunk(3)
            for weight, bias in zip(qkv.weight.chunk(3), biases):
                yield F.linear(x, weight, bias), bias
            return
        # A wrapped projection (e.g. mmpretrain's LoRALinear) runs as a module.
        zero_token = qkv(x.new_zeros(x.shape[-1]))
        yield from zip(qkv(x).chunk(3, dim=-1), zero_token.chunk(3))

    def _attention(self, x: Tensor) -> Tensor:
        attn = self.attn
        batch, height, width, channels = x.shape
        heads = attn.num_heads
        if self.window_size > 0:
            window_h = window_w = self.window_size
        else:
            window_h, window_w = height, width
        grid_h = -(-height // window_h)
        grid_w = -(-width // window_w)

        def to_windows(tokens: Tensor, pad_value: Optional[Tensor]) -> Tensor:
            if self.window_size > 0:
                tokens = pad_tokens(tokens, self.window_size, pad_value)
            # (B, gh, wh, gw, ww, heads, d) -> (B, gh, gw, heads, wh, ww, d)
            return tokens.view(batch, grid_h, window_h, grid_w, window_w,
                               heads, -1).permute(0, 1, 3, 5, 2, 4,
                                                  6).reshape(
                                                      batch * grid_h * grid_w,
                                                      heads,
                                                      window_h * window_w, -1)

        q, k, v = (to_windows(tokens, pad_value)
                   for tokens, pad_value in self._project_qkv(x))
        if attn.use_rel_pos:
            out = rel_pos_attention(q, k, v, attn.rel_pos_h, attn.rel_pos_w,
                                    (window_h, window_w),
                                    self._chunk_numel(x))
        else:
            out = F.scaled_dot_product_attention(q, k, v)
        # (B, gh, gw, heads, wh, ww, d) -> (B, gh, wh, gw, ww, heads, d)
        out = out.view(batch, grid_h, grid_w, heads, window_h, window_w,
                       -1).permute(0, 1, 4, 2, 5, 3, 6).reshape(
                           batch, grid_h * window_h, grid_w * window_w,
                           channels)
        return attn.proj(out[:, :height, :width])
