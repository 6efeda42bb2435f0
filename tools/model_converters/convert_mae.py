"""Convert MAE checkpoints for continued pretraining, fine-tuning and ViTSAM.

    python tools/model_converters/convert_mae.py SRC DST --to {mae,vit,vit-sam} \
        [--config CONFIG] [--img-size N] [--window-size N] [--force]

Sources (recognised from their keys):

- Facebook / timm MAE (``mae_pretrain_vit_base.pth`` and the like, ``model`` or
  bare state dict): ``patch_embed.proj``, ``blocks.N``, ``norm``; the
  ``mae_visualize_*`` releases also hold the decoder (``decoder_*``,
  ``mask_token``). A classifier (``head.*``) is dropped.
- mmpretrain MAE, e.g. a checkpoint of ``configs/mae/`` (``backbone.*``,
  ``neck.*``), or an mmpretrain VisionTransformer (``backbone.*``).

Targets (every output key is ``backbone.*`` / ``neck.*``):

- ``mae``: mmpretrain ``MAE`` (``MAEViT`` + ``MAEPretrainDecoder``) for
  continued pretraining (``load_from``), from a Facebook / timm source. A source
  without decoder leaves ``neck.*`` missing: the decoder keeps its
  initialisation.
- ``vit``: mmpretrain ``VisionTransformer`` (``backbone.*``) for fine-tuning
  (``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``).
  A target with ``final_norm=False, out_type='avg_featmap'`` has no
  ``backbone.ln1`` (the MAE's final norm, then unused) and initialises its own
  ``backbone.ln2``.
- ``vit-sam``: mmpretrain ``ViTSAM`` (``backbone.*``), to initialise UltraSam
  (``load_from``) or ViTSAM classification configs (``prefix='backbone.'``).
  The class token and the final norm are dropped, the position embedding loses
  its class entry and is resized (bicubic) to the target's grid, the relative
  position tables are zero (as ViTSAM initialises them). Not in the output:
  the ViTSAM neck ``backbone.channel_reduction.*`` and, for UltraSam, the
  prompt encoder and mask decoder.

``--config`` takes the target from a config (its model, or for ``vit-sam`` its
ViTSAM backbone: img_size, window size, global attention blocks) and checks the
result against it: any key or shape beyond the documented ones is an error.
Without it, ``vit-sam`` uses ``--img-size`` (1024) and ``--window-size`` (14)
with SAM's arch of the same width and depth (base, large, huge).
"""
import argparse
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from ultrasam.utils import (CheckpointError, StateDict, read_state_dict,
                            save_checkpoint)
from ultrasam.utils.checkpoint_conversion import output_path_problem

TOOL = 'convert_mae.py'
TARGETS = ('mae', 'vit', 'vit-sam')

_BLOCK_RULES = [
    (r'norm1\.', 'ln1.'),
    (r'attn\.qkv\.', 'attn.qkv.'),
    (r'attn\.proj\.', 'attn.proj.'),
    (r'norm2\.', 'ln2.'),
    (r'mlp\.fc1\.', 'ffn.layers.0.0.'),
    (r'mlp\.fc2\.', 'ffn.layers.1.'),
]
# (pattern on the Facebook / timm key, replacement); blocks are expanded below.
TIMM_RULES = [
    (r'^cls_token$', 'backbone.cls_token'),
    (r'^pos_embed$', 'backbone.pos_embed'),
    (r'^patch_embed\.proj\.', 'backbone.patch_embed.projection.'),
    (r'^norm\.', 'backbone.ln1.'),
    (r'^fc_norm\.', 'backbone.ln2.'),
    (r'^mask_token$', 'neck.mask_token'),
    (r'^decoder_pos_embed$', 'neck.decoder_pos_embed'),
    (r'^decoder_embed\.', 'neck.decoder_embed.'),
    (r'^decoder_norm\.', 'neck.ln1.'),
    (r'^decoder_pred\.', 'neck.decoder_pred.'),
] + [(rf'^blocks\.(\d+)\.{old}', rf'backbone.layers.\1.{new}')
     for old, new in _BLOCK_RULES] + [
         (rf'^decoder_blocks\.(\d+)\.{old}', rf'neck.decoder_blocks.\1.{new}')
         for old, new in _BLOCK_RULES
     ]
# Facebook / timm keys without counterpart: the classifier of fine-tuned
# releases.
TIMM_DROPPED = (r'^head\.', )
# SAM architectures by (width, depth), for vit-sam without --config.
SAM_ARCHS = {(768, 12): 'base', (1024, 24): 'large', (1280, 32): 'huge'}
# Keys a converted ViTSAM lacks, by design.
VIT_SAM_NOT_CONVERTED = ('backbone.channel_reduction.', )


class ConversionError(ValueError):
    """A source or target the converter cannot handle; says why."""


def source_format(state_dict: StateDict) -> Optional[str]:
    """``'timm'`` (Facebook / timm MAE), ``'mmpretrain'`` or None."""
    if 'patch_embed.proj.weight' in state_dict and any(
            key.startswith('blocks.') for key in state_dict):
        return 'timm'
    if ('backbone.patch_embed.projection.weight' in state_dict
            and 'backbone.pos_embed' in state_dict):
        return 'mmpretrain'
    return None


def timm_to_mmpretrain(state_dict: StateDict) -> Tuple[StateDict, List[str]]:
    """Rename a Facebook / timm MAE state dict to mmpretrain MAE keys.

    Returns:
        tuple: the renamed state dict and the dropped keys (classifier).

    Raises:
        ConversionError: on a key that belongs to no MAE.
    """
    converted, dropped = OrderedDict(), []
    for key, value in state_dict.items():
        if any(re.match(pattern, key) for pattern in TIMM_DROPPED):
            dropped.append(key)
            continue
        for pattern, replacement in TIMM_RULES:
            new_key, hits = re.subn(pattern, replacement, key)
            if hits:
                converted[new_key] = value
                break
        else:
            raise ConversionError(
                f'unexpected key {key!r} in a Facebook / timm MAE checkpoint '
                '(not a ViT MAE encoder or decoder)')
    return converted, dropped


def to_mmpretrain(state_dict: StateDict) -> Tuple[StateDict, List[str]]:
    """Any supported source as mmpretrain MAE / ViT keys, and dropped keys."""
    found = source_format(state_dict)
    if found == 'timm':
        return timm_to_mmpretrain(state_dict)
    if found == 'mmpretrain':
        return OrderedDict(state_dict), []
    raise ConversionError(
        'not an MAE / ViT checkpoint: expected Facebook / timm keys '
        '(patch_embed.proj.weight, blocks.N...) or mmpretrain keys '
        f'(backbone.patch_embed.projection.weight, ...), found '
        f'{", ".join(list(state_dict)[:3])}')


def encoder(state_dict: StateDict) -> StateDict:
    """The ``backbone.*`` entries (the ViT encoder)."""
    return OrderedDict((k, v) for k, v in state_dict.items()
                       if k.startswith('backbone.'))


def vit_sam_backbone(backbone_cfg: dict) -> torch.nn.Module:
    """A ViTSAM from a config's backbone dict, on the meta device (shapes
    only)."""
    cfg = dict(backbone_cfg)
    cfg.pop('init_cfg', None)
    cfg.pop('_scope_', None)
    cfg['type'] = str(cfg.get('type', '')).split('.')[-1]
    if cfg['type'] == 'FastViTSAM':
        # Our encoder of UltraSam configs: ViTSAM's keys and shapes.
        cfg['type'] = 'ViTSAM'
        cfg.pop('with_cp', None)
    if cfg['type'] != 'ViTSAM':
        raise ConversionError(
            f'the target backbone is {backbone_cfg.get("type")!r}, not a '
            'ViTSAM or FastViTSAM')
    with DefaultScope.overwrite_default_scope('mmpretrain'), torch.device(
            'meta'):
        return MODELS.build(cfg)


def default_vit_sam_cfg(backbone: StateDict, img_size: int,
                        window_size: int) -> dict:
    """SAM's ViTSAM arch of the encoder's width and depth."""
    width = backbone['backbone.patch_embed.projection.weight'].shape[0]
    depth = len({key.split('.')[2] for key in backbone
                 if key.startswith('backbone.layers.')})
    arch = SAM_ARCHS.get((width, depth))
    if arch is None:
        raise ConversionError(
            f'the encoder ({width} dims, {depth} layers) is none of SAM\'s '
            f'ViTSAM archs {sorted(SAM_ARCHS)}; give the target with '
            '--config (a config whose model.backbone is its ViTSAM)')
    patch = backbone['backbone.patch_embed.projection.weight'].shape[-1]
    return dict(type='ViTSAM', arch=arch, img_size=img_size,
                patch_size=patch, window_size=window_size, out_channels=0)


def to_vit_sam(backbone: StateDict,
               target_shapes: Dict[str, torch.Size]) -> StateDict:
    """An mmpretrain ViT / MAE encoder as ViTSAM weights of the given shapes.

    Args:
        backbone (dict): ``backbone.*`` weights of a ViT with class token.
        target_shapes (dict): ``backbone.``-prefixed ViTSAM keys and shapes.

    Returns:
        dict: Every target key except the neck (``channel_reduction``).

    Raises:
        ConversionError: widths, depths or patch sizes that differ.
    """
    converted = OrderedDict()
    for key, shape in target_shapes.items():
        if key.startswith(VIT_SAM_NOT_CONVERTED):
            continue
        if re.search(r'\.attn\.rel_pos_[hw]$', key):
            converted[key] = torch.zeros(shape)
        elif key == 'backbone.pos_embed':
            converted[key] = _grid_pos_embed(backbone[key], shape)
        elif key not in backbone:
            raise ConversionError(
                f'the target ViTSAM has {key} {tuple(shape)}, the source '
                'encoder has not (deeper target?)')
        else:
            converted[key] = backbone[key]
    layers = {key.split('.')[2] for key in backbone
              if key.startswith('backbone.layers.')}
    target_layers = {key.split('.')[2] for key in target_shapes
                     if key.startswith('backbone.layers.')}
    if layers != target_layers:
        raise ConversionError(
            f'the source encoder has {len(layers)} layers, the target ViTSAM '
            f'{len(target_layers)}')
    mismatched = [(key, tuple(value.shape), tuple(target_shapes[key]))
                  for key, value in converted.items()
                  if value.shape != target_shapes[key]]
    if mismatched:
        key, theirs, ours = mismatched[0]
        raise ConversionError(
            f'{key} is {theirs} in the source but {ours} in the target '
            f'ViTSAM ({len(mismatched)} tensors differ; another width or '
            'patch size?)')
    return converted


def _grid_pos_embed(pos_embed: torch.Tensor,
                    shape: torch.Size) -> torch.Tensor:
    """``(1, 1 + g*g, C)`` with class entry -> ``(1, G, G, C)``."""
    tokens = pos_embed.shape[1] - 1
    grid = int(round(tokens**0.5))
    if pos_embed.ndim != 3 or grid * grid != tokens:
        raise ConversionError(
            f'backbone.pos_embed {tuple(pos_embed.shape)} is not a square '
            'grid plus a class token')
    table = pos_embed[:, 1:].reshape(1, grid, grid, -1).float()
    if (grid, grid) != tuple(shape[1:3]):
        table = F.interpolate(
            table.permute(0, 3, 1, 2), size=tuple(shape[1:3]),
            mode='bicubic', align_corners=False).permute(0, 2, 3, 1)
    return table.to(pos_embed.dtype).contiguous()


def target_model(config: str, target: str) -> torch.nn.Module:
    """The config's model (``mae`` / ``vit``) or its ViTSAM backbone, on the
    meta device."""
    cfg = Config.fromfile(config)
    model_cfg = cfg.get('model')
    if not isinstance(model_cfg, dict) or not isinstance(
            model_cfg.get('backbone'), dict):
        raise ConversionError(f'{config} has no model with a backbone')
    if target == 'vit-sam':
        return vit_sam_backbone(model_cfg['backbone'])
    model_cfg = dict(model_cfg)
    model_cfg.pop('init_cfg', None)
    model_cfg['backbone'] = dict(model_cfg['backbone'])
    model_cfg['backbone'].pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope') or 'mmdet'), torch.device('meta'):
        return ROOT_MODELS.build(model_cfg)


def documented_gaps(target: str, model_keys: Sequence[str],
                    converted: StateDict) -> Tuple[List[str], List[str]]:
    """Missing and unexpected keys that are not documented (see the module
    docstring): what a check against a config must not find."""
    missing = [k for k in model_keys if k not in converted]
    unexpected = [k for k in converted if k not in set(model_keys)]
    if target == 'mae' and not any(k.startswith('neck.') for k in converted):
        missing = [k for k in missing if not k.startswith('neck.')]
    if target == 'vit':
        missing = [k for k in missing if not k.startswith('backbone.ln2.')]
        unexpected = [k for k in unexpected
                      if not k.startswith('backbone.ln1.')]
    if target == 'vit-sam':
        missing = [k for k in missing
                   if not k.startswith(VIT_SAM_NOT_CONVERTED)]
    return missing, unexpected


def convert(state_dict: StateDict, target: str,
            config: Optional[str] = None, img_size: int = 1024,
            window_size: int = 14) -> Tuple[StateDict, List[str]]:
    """Convert a source state dict to ``target`` (see the module docstring).

    Returns:
        tuple: the converted state dict and the source keys dropped.

    Raises:
        ConversionError: unknown source, impossible target, or (with
            ``config``) a result that does not fit the config's model.
    """
    if target not in TARGETS:
        raise ConversionError(f'--to must be one of {TARGETS}, got {target}')
    if target == 'mae' and source_format(state_dict) == 'mmpretrain':
        raise ConversionError(
            'it already is an mmpretrain checkpoint: load it as it is '
            '(load_from) for continued pretraining')
    renamed, dropped = to_mmpretrain(state_dict)
    if target == 'mae':
        converted = renamed
    elif target == 'vit':
        converted = encoder(renamed)
        dropped += [k for k in renamed if k not in converted]
    else:
        backbone = encoder(renamed)
        model = (target_model(config, target) if config else
                 vit_sam_backbone(default_vit_sam_cfg(backbone, img_size,
                                                      window_size)))
        shapes = {f'backbone.{k}': v.shape
                  for k, v in model.state_dict().items()}
        converted = to_vit_sam(backbone, shapes)
        dropped += [k for k in renamed if k not in converted]
    if config and target != 'vit-sam':
        model = target_model(config, target)
        # A fine-tuning model loads only its backbone (prefix='backbone.').
        shapes = {k: v.shape for k, v in model.state_dict().items()
                  if target == 'mae' or k.startswith('backbone.')}
        missing, unexpected = documented_gaps(target, list(shapes),
                                              converted)
        wrong = [(k, tuple(v.shape), tuple(shapes[k]))
                 for k, v in converted.items()
                 if k in shapes and v.shape != shapes[k]]
        if missing or unexpected or wrong:
            raise ConversionError(
                f'the result does not fit the model of {config}: '
                f'missing {missing[:3]}, unexpected {unexpected[:3]}, '
                f'shapes {wrong[:3]}')
    return converted, dropped


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=TOOL, description=__doc__.split('\n')[0])
    parser.add_argument('src', help='MAE checkpoint (Facebook / timm or '
                        'mmpretrain)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--to', required=True, choices=TARGETS,
                        help='target model')
    parser.add_argument('--config', help='config of the target model (for '
                        'vit-sam: its ViTSAM backbone); the result is '
                        'checked against it')
    parser.add_argument('--img-size', type=int, default=1024,
                        help='vit-sam without --config: input size '
                        '(default 1024)')
    parser.add_argument('--window-size', type=int, default=14,
                        help='vit-sam without --config: attention window '
                        '(default 14)')
    parser.add_argument('--force', action='store_true',
                        help='overwrite an existing DST')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    problem = output_path_problem(args.src, args.dst, args.force)
    if problem is None and args.config is not None and not args.config.endswith(
            '.py'):
        problem = f'--config {args.config} is not a .py config'
    if problem is not None:
        sys.exit(f'{TOOL}: error: {problem}')
    try:
        state_dict = read_state_dict(args.src)
        converted, dropped = convert(state_dict, args.to, args.config,
                                     args.img_size, args.window_size)
    except (CheckpointError, ConversionError, FileNotFoundError) as err:
        sys.exit(f'{TOOL}: error: {args.src}: {err}')
    save_checkpoint(
        dict(state_dict=converted,
             meta=dict(converted_from=str(args.src), target=args.to)),
        args.dst)
    print(f'{TOOL}: saved {len(converted)} tensors ({args.to}) to {args.dst}'
          + (f'; dropped {len(dropped)} source tensors (e.g. {dropped[0]})'
             if dropped else ''))


if __name__ == '__main__':
    main()
