"""Convert an ImageNet ViT checkpoint (timm key names) into ViT-SAM encoder weights.

The output holds ``backbone.*`` keys of mmpretrain's ``ViTSAM``, the format of
every initialisation of the classification configs, so it loads with
``init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=DST)``
(``configs/downstream/classification/_base_/inits/imagenet-vit.py``)::

    python tools/model_converters/vit_to_vitsam.py \
        vit_base_patch16_224.augreg2_in21k_ft_in1k.pth \
        checkpoints/vit-b16_imagenet_vitsam.pth --img-size 1024

- the position embedding loses its class (and distillation) tokens and is
  resized bicubically from the source grid to ``img-size / patch`` squared;
- ViT-SAM's relative-position tables, which a plain ViT does not have, are
  written as zeros (attention starts without relative bias), sized for
  window attention of ``--window-size`` (14) except in the global-attention
  layers (``--global-attn-indexes``; SAM's for 12 / 24 / 32 layers:
  2 5 8 11 / 5 11 17 23 / 7 15 23 31);
- the class token, the final norm and the classification head are dropped
  (listed in the output line); any other unknown key is an error.

Sources: timm ``VisionTransformer`` state dicts (``patch_embed.proj``,
``blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``), bare or under
``model`` / ``state_dict`` (not safetensors). The number of heads (for the
relative-position tables) is 12 / 16 / 16 for 768 / 1024 / 1280 channels, else
channels / 64; ``--num-heads`` overrides it. An existing DST is replaced only with
``--force``; the source never.
"""
import argparse
import math
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, NoReturn, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ultrasam.utils import CheckpointError, read_state_dict, save_checkpoint
from ultrasam.utils.checkpoint_conversion import output_path_problem

TOOL = osp.basename(__file__)
StateDict = Dict[str, torch.Tensor]

# (timm key pattern, ViTSAM key) of the transformer blocks.
BLOCK_RULES = [
    (r'^blocks\.(\d+)\.norm1\.', r'layers.\1.ln1.'),
    (r'^blocks\.(\d+)\.attn\.qkv\.', r'layers.\1.attn.qkv.'),
    (r'^blocks\.(\d+)\.attn\.proj\.', r'layers.\1.attn.proj.'),
    (r'^blocks\.(\d+)\.norm2\.', r'layers.\1.ln2.'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.', r'layers.\1.ffn.layers.0.0.'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.', r'layers.\1.ffn.layers.1.'),
    (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
]
# Parts of an ImageNet ViT that ViT-SAM has no place for.
DROPPED = (r'^cls_token$', r'^dist_token$', r'^reg_token$', r'^norm\.',
           r'^fc_norm\.', r'^head\.', r'^head_dist\.', r'^pre_logits\.')
HEADS_BY_CHANNELS = {768: 12, 1024: 16, 1280: 16}
# ViTSAM's global-attention layers of its base / large / huge archs.
GLOBAL_ATTN_BY_DEPTH = {12: (2, 5, 8, 11), 24: (5, 11, 17, 23),
                        32: (7, 15, 23, 31)}


def resize_grid(pos_embed: torch.Tensor, grid: int) -> torch.Tensor:
    """(1, T, C) timm position embedding -> (1, grid, grid, C) without the
    extra tokens, resized bicubically.

    Raises:
        ValueError: When no square patch grid explains ``T``.
    """
    tokens = pos_embed.shape[1]
    for extra in (1, 0, 2):
        if tokens - extra < 1:
            continue
        side = math.isqrt(tokens - extra)
        if side * side == tokens - extra:
            break
    else:
        raise ValueError(f'pos_embed of shape {tuple(pos_embed.shape)} is '
                         'not a square patch grid plus 0-2 extra tokens')
    patches = pos_embed[:, extra:].reshape(1, side, side, -1)
    if side != grid:
        patches = F.interpolate(
            patches.permute(0, 3, 1, 2).float(),
            size=(grid, grid),
            mode='bicubic',
            align_corners=False).permute(0, 2, 3, 1)
    return patches.contiguous()


def convert_vit(state_dict: StateDict,
                img_size: int,
                num_heads: Optional[int] = None,
                window_size: int = 14,
                global_attn_indexes: Optional[Sequence[int]] = None
                ) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """ViT-SAM encoder weights (``backbone.*``) from a timm ViT state dict.

    Args:
        state_dict (dict): timm ``VisionTransformer`` weights.
        img_size (int): Input size of the ViT-SAM the weights are for.
        num_heads (int, optional): Attention heads; from the channels when
            None.
        window_size (int): Window of the window-attention layers.
        global_attn_indexes (Sequence[int], optional): Layers with global
            attention; SAM's for the depth when None.

    Returns:
        tuple: The converted state dict and the dropped keys.

    Raises:
        KeyError: On a key that is not part of a timm ViT, or a missing part.
        ValueError: On shapes that do not fit (grid, heads).
    """
    converted, dropped = OrderedDict(), []
    for key, value in state_dict.items():
        if any(re.match(pattern, key) for pattern in DROPPED):
            dropped.append(key)
            continue
        if key == 'pos_embed':
            continue
        for pattern, replacement in BLOCK_RULES:
            new_key, hits = re.subn(pattern, replacement, key)
            if hits:
                converted[f'backbone.{new_key}'] = value
                break
        else:
            raise KeyError(f'unexpected key {key!r}: not a timm '
                           'VisionTransformer checkpoint?')
    for required in ('pos_embed', 'patch_embed.proj.weight',
                     'blocks.0.attn.qkv.weight'):
        if required not in state_dict:
            raise KeyError(f'no {required!r}: not a timm VisionTransformer '
                           'checkpoint?')
    patch = state_dict['patch_embed.proj.weight'].shape[-1]
    if img_size % patch:
        raise ValueError(f'--img-size {img_size} is not a multiple of the '
                         f'patch size {patch}')
    grid = img_size // patch
    converted['backbone.pos_embed'] = resize_grid(state_dict['pos_embed'],
                                                  grid)
    channels = state_dict['patch_embed.proj.weight'].shape[0]
    heads = num_heads or HEADS_BY_CHANNELS.get(channels, channels // 64)
    if not heads or channels % heads:
        raise ValueError(f'{channels} channels cannot be split into {heads} '
                         'heads; pass --num-heads')
    layers = sorted({int(k.split('.')[1]) for k in state_dict
                     if k.startswith('blocks.')})
    if global_attn_indexes is None:
        if len(layers) not in GLOBAL_ATTN_BY_DEPTH:
            raise ValueError(f'{len(layers)} layers: pass '
                             '--global-attn-indexes')
        global_attn_indexes = GLOBAL_ATTN_BY_DEPTH[len(layers)]
    for layer in layers:
        side = grid if layer in global_attn_indexes else window_size
        for axis in ('h', 'w'):
            converted[f'backbone.layers.{layer}.attn.rel_pos_{axis}'] = (
                torch.zeros(2 * side - 1, channels // heads))
    return converted, dropped


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog=TOOL, description=__doc__.split(
        '\n')[0])
    parser.add_argument('src', help='timm ViT checkpoint')
    parser.add_argument('dst', help='output ViT-SAM encoder checkpoint')
    parser.add_argument(
        '--img-size', type=int, default=1024,
        help='input size of the ViT-SAM model (default 1024)')
    parser.add_argument(
        '--num-heads', type=int, help='attention heads (default: from the '
        'channels, 12 for ViT-B)')
    parser.add_argument(
        '--window-size', type=int, default=14,
        help='window of the window-attention layers (default 14)')
    parser.add_argument(
        '--global-attn-indexes', type=int, nargs='+', metavar='LAYER',
        help='global-attention layers (default: SAM\'s for the depth)')
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing DST')
    args = parser.parse_args(argv)

    def fail(message: str) -> NoReturn:
        sys.exit(f'{TOOL}: error: {message}')

    if min(args.img_size, args.window_size, args.num_heads or 1) < 1:
        fail('--img-size, --num-heads and --window-size must be positive')
    problem = output_path_problem(args.src, args.dst, args.force)
    if problem:
        fail(problem)
    try:
        state_dict = read_state_dict(args.src)
        converted, dropped = convert_vit(state_dict, args.img_size,
                                         args.num_heads, args.window_size,
                                         args.global_attn_indexes)
    except CheckpointError as error:
        fail(str(error))
    except (KeyError, ValueError) as error:
        fail(f'{args.src}: {error.args[0]}')
    save_checkpoint(
        dict(state_dict=converted,
             meta=dict(converted_from=args.src, img_size=args.img_size)),
        args.dst)
    print(f'{TOOL}: saved {len(converted)} tensors to {args.dst} '
          f'(dropped: {", ".join(dropped) or "nothing"})')


if __name__ == '__main__':
    main()
