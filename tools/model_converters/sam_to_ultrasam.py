"""Convert a segment-anything checkpoint into an UltraSam checkpoint.

Works for the official ``sam_vit_b_01ec64.pth``, ``sam_vit_l_0b3195.pth``,
``sam_vit_h_4b8939.pth`` and checkpoints in the same format (e.g. MedSAM).
The result loads strictly into the models of
``configs/_base_/models/ultrasam_vit{b,l,h}.py``::

    python tools/model_converters/sam_to_ultrasam.py sam_vit_b_01ec64.pth \
        checkpoints/sam_vit_b_01ec64_ultrasam.pth

The source must hold all of SAM (image encoder, prompt encoder, mask decoder);
an existing DST is overwritten only with ``--force``, the source never.

Only the image encoder is renamed (segment-anything's ``ImageEncoderViT`` to
mmpretrain's ``ViTSAM``); the prompt encoder and mask decoder of UltraSam use
segment-anything's parameter names.
"""
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Optional, Sequence

import torch

from ultrasam.utils.checkpoint_conversion import converter_main

# (pattern on the segment-anything key, replacement) for the image encoder.
ENCODER_RULES = [
    (r'^image_encoder\.patch_embed\.proj\.',
     'backbone.patch_embed.projection.'),
    (r'^image_encoder\.pos_embed$', 'backbone.pos_embed'),
    (r'^image_encoder\.blocks\.(\d+)\.norm1\.', r'backbone.layers.\1.ln1.'),
    (r'^image_encoder\.blocks\.(\d+)\.norm2\.', r'backbone.layers.\1.ln2.'),
    (r'^image_encoder\.blocks\.(\d+)\.attn\.', r'backbone.layers.\1.attn.'),
    (r'^image_encoder\.blocks\.(\d+)\.mlp\.lin1\.',
     r'backbone.layers.\1.ffn.layers.0.0.'),
    (r'^image_encoder\.blocks\.(\d+)\.mlp\.lin2\.',
     r'backbone.layers.\1.ffn.layers.1.'),
    (r'^image_encoder\.neck\.', 'backbone.channel_reduction.'),
]


def convert_sam(state_dict: Dict[str, torch.Tensor]
                ) -> 'OrderedDict[str, torch.Tensor]':
    """Rename segment-anything parameters to UltraSam's.

    Args:
        state_dict (dict): segment-anything state dict.

    Returns:
        OrderedDict: UltraSam state dict.

    Raises:
        KeyError: on a key that is not part of a segment-anything model.
    """
    converted = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(('prompt_encoder.', 'mask_decoder.')):
            converted[key] = value
            continue
        for pattern, replacement in ENCODER_RULES:
            new_key, hits = re.subn(pattern, replacement, key)
            if hits:
                converted[new_key] = value
                break
        else:
            raise KeyError(f'unexpected key {key!r}: not a segment-anything '
                           'checkpoint?')
    return converted


def main(argv: Optional[Sequence[str]] = None) -> None:
    converter_main(
        Path(__file__).name, __doc__.split('\n')[0], 'segment-anything',
        convert_sam, argv=argv)


if __name__ == '__main__':
    main()
