"""Convert the original UltraSam release checkpoint into this code's format.

The release (``UltraSam.pth`` from the authors, an MMDetection checkpoint of
their ``SAM`` detector) differs from this implementation in three ways:

- one ``prompt_encoder.label_encoder.label_embedding`` table holds the no-mask
  embedding, the point / corner / not-a-point embeddings, the four mask tokens
  and the IoU token (rows 0..10, see ``LABEL_ROWS``);
- attentions are ``nn.MultiheadAttention`` wrappers with separate
  ``q/k/v_proj_weight`` and one concatenated ``in_proj_bias``;
- the decoder MLP is an mmcv ``FFN`` that added its input on top of the
  decoder's own residual (``q = 2 q + mlp(q)``). The released weights were
  trained that way, so load them into a model whose decoder sets
  ``mask_decoder.transformer.double_mlp_residual=True``.

The release also encoded prompt coordinates without segment-anything's
half-pixel shift: its configs set ``prompt_encoder.coord_offset=0.0``.

Usage (an existing output is overwritten only with ``--force``)::

    python tools/model_converters/ultrasam_release_to_ultrasam.py \
        UltraSam.pth checkpoints/ultrasam_release.pth
"""
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Optional, Sequence

import torch

from ultrasam.utils.checkpoint_conversion import converter_main

# Rows of the release's label embedding table and where they go.
LABEL_ROWS = {
    0: 'prompt_encoder.no_mask_embed.weight',
    1: 'prompt_encoder.point_embeddings.0.weight',  # negative point
    2: 'prompt_encoder.point_embeddings.1.weight',  # positive point
    3: 'prompt_encoder.point_embeddings.2.weight',  # box corner 1
    4: 'prompt_encoder.point_embeddings.3.weight',  # box corner 2
    5: 'prompt_encoder.not_a_point_embed.weight',
}
MASK_TOKEN_ROWS = slice(6, 10)
IOU_TOKEN_ROW = 10
LABEL_TABLE = 'prompt_encoder.label_encoder.label_embedding.weight'

RENAME_RULES = [
    (r'^backbone\.', 'backbone.'),
    (r'^prompt_encoder\.pe_layer\.', 'prompt_encoder.pe_layer.'),
    (r'^prompt_encoder\.mask_downscaling\.',
     'prompt_encoder.mask_downscaling.'),
    (r'^decoder\.layers\.(\d+)\.(norm\d)\.',
     r'mask_decoder.transformer.layers.\1.\2.'),
    (r'^decoder\.layers\.(\d+)\.mlp\.layers\.0\.0\.',
     r'mask_decoder.transformer.layers.\1.mlp.lin1.'),
    (r'^decoder\.layers\.(\d+)\.mlp\.layers\.1\.',
     r'mask_decoder.transformer.layers.\1.mlp.lin2.'),
    (r'^decoder\.post_norm\.', 'mask_decoder.transformer.norm_final_attn.'),
    (r'^bbox_head\.(output_upscaling|output_hypernetworks_mlps|'
     r'iou_prediction_head)\.', r'mask_decoder.\1.'),
]
# decoder.<attention>.attn.<param> with <attention> one of SAM's attentions.
ATTENTION_KEY = re.compile(
    r'^decoder\.((?:layers\.\d+\.)?(?:self_attn|cross_attn_token_to_image|'
    r'cross_attn_image_to_token|final_attn_token_to_image))\.attn\.'
    r'(q_proj_weight|k_proj_weight|v_proj_weight|in_proj_bias|'
    r'out_proj\.weight|out_proj\.bias)$')


def convert_release(state_dict: Dict[str, torch.Tensor]
                    ) -> 'OrderedDict[str, torch.Tensor]':
    """Map the release's parameters to this implementation's.

    Args:
        state_dict (dict): ``state_dict`` of the release checkpoint.

    Returns:
        OrderedDict: state dict for :class:`ultrasam.models.UltraSam`.

    Raises:
        KeyError: on a key the release does not have, or a missing label
            table.
    """
    converted = OrderedDict()
    if LABEL_TABLE not in state_dict:
        raise KeyError(f'{LABEL_TABLE!r} missing: not an UltraSam release '
                       'checkpoint?')
    for key, value in state_dict.items():
        if key == LABEL_TABLE:
            if value.shape[0] != IOU_TOKEN_ROW + 1:
                raise ValueError(f'{key} has {value.shape[0]} rows, expected '
                                 f'{IOU_TOKEN_ROW + 1}')
            for row, name in LABEL_ROWS.items():
                converted[name] = value[row:row + 1].clone()
            converted['mask_decoder.mask_tokens.weight'] = \
                value[MASK_TOKEN_ROWS].clone()
            converted['mask_decoder.iou_token.weight'] = \
                value[IOU_TOKEN_ROW:IOU_TOKEN_ROW + 1].clone()
            continue
        match = ATTENTION_KEY.match(key)
        if match:
            module, param = match.groups()
            prefix = f'mask_decoder.transformer.{module}.'
            if param == 'in_proj_bias':
                for name, bias in zip('qkv', value.chunk(3)):
                    converted[f'{prefix}{name}_proj.bias'] = bias.clone()
            elif param.endswith('_proj_weight'):
                converted[f'{prefix}{param[0]}_proj.weight'] = value
            else:
                converted[prefix + param] = value
            continue
        for pattern, replacement in RENAME_RULES:
            new_key, hits = re.subn(pattern, replacement, key)
            if hits:
                converted[new_key] = value
                break
        else:
            raise KeyError(f'unexpected key {key!r} in the release checkpoint')
    if 'prompt_encoder.mask_downscaling.0.weight' not in converted:
        raise KeyError(
            'the checkpoint has no prompt_encoder.mask_downscaling: it was '
            'trained without mask refinement, and this model needs the '
            'mask-prompt encoder')
    return converted


def main(argv: Optional[Sequence[str]] = None) -> None:
    converter_main(
        Path(__file__).name, __doc__.split('\n')[0], 'ultrasam-release',
        convert_release,
        note='; load it with '
        'model.mask_decoder.transformer.double_mlp_residual=True',
        argv=argv)


if __name__ == '__main__':
    main()
