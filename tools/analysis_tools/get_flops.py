"""Count the multiply-accumulates (MACs) and parameters of a config's model.

Example::

    python tools/analysis_tools/get_flops.py configs/_base_/models/ultrasam_vitb.py

Counted with MMEngine's ``FlopAnalyzer`` (a trace of one forward pass; one
multiply-accumulate counts as one, as in fvcore and mmdet's get_flops, so
FLOPs = 2 x MACs). Its handles do not know
``F.scaled_dot_product_attention``, through which ``FastViTSAM`` runs its
attention: this tool adds one (q k^T and the attention-weighted sum of v),
so our encoder and mmpretrain's ``ViTSAM`` count alike. Element-wise
operations (activations, additions, softmax) are not counted.

Printed: the image encoder (the model's ``backbone``) on one image of
``--image-size`` (default: an UltraSam model's input size) and, for UltraSam
models, the prompt encoder + mask decoder for ``--num-boxes`` box prompts on
that image's embedding; parameters of each part and of the whole model.
"""
import argparse
import math
import os.path as osp
import sys
from typing import Any, List, NoReturn, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from mmdet.registry import MODELS
from ultrasam.apis.cli_support import positive_int
from ultrasam.models import UltraSam

PROG = 'get_flops.py'


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def sdpa_macs(inputs: List[Any], outputs: List[Any]) -> int:
    """MACs of ``scaled_dot_product_attention(q, k, v)``: (..., L, E) queries
    against (..., S, E) keys, then the (..., S, Ev) values."""
    query, key, value = (get_shape(v) for v in inputs[:3])
    *batch, num_queries, dims = query
    return math.prod(batch) * num_queries * key[-2] * (dims + value[-1])


class BoxPromptDecoding(nn.Module):
    """An UltraSam model's prompt encoder and mask decoder, as one forward of
    (image embedding, boxes) for the trace.

    Args:
        model (UltraSam): The model.
    """

    def __init__(self, model: UltraSam) -> None:
        super().__init__()
        self.prompt_encoder = model.prompt_encoder
        self.mask_decoder = model.mask_decoder

    def forward(self, image_embeddings: torch.Tensor,
                boxes: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        sparse, sparse_padding, dense = self.prompt_encoder(
            None, None, boxes, None, None)
        return self.mask_decoder(image_embeddings,
                                 self.prompt_encoder.get_dense_pe(), sparse,
                                 dense, sparse_padding)


def count_macs(module: nn.Module, inputs: Tuple[torch.Tensor, ...],
               what: str) -> int:
    """MACs of ``module(*inputs)``; one error line if it cannot be traced."""
    analyzer = FlopAnalyzer(module, inputs).set_op_handle(
        'aten::scaled_dot_product_attention', sdpa_macs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    try:
        return analyzer.total()
    except (RuntimeError, TypeError, ValueError) as err:
        reason = ' '.join(str(err).split())[:300]
        fail(f'cannot trace the {what}: {type(err).__name__}: {reason}')


def parameters(module: nn.Module) -> str:
    """Parameter count of ``module`` in millions, e.g. ``'89.67 M'``."""
    return f'{sum(p.numel() for p in module.parameters()) / 1e6:.2f} M'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file with a model entry')
    parser.add_argument(
        '--image-size', type=positive_int, nargs=2, metavar=('H', 'W'),
        help='input size of the encoder (default: an UltraSam model\'s '
        'input size; needed for other models)')
    parser.add_argument(
        '--num-boxes', type=positive_int, default=1,
        help='box prompts decoded at once (UltraSam models; default 1)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. model.backbone.arch=large')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'model' not in cfg:
        fail(f'config {args.config} has no model entry')
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    backbone = getattr(model, 'backbone', None)
    if not isinstance(backbone, nn.Module):
        fail(f'config {args.config} builds a {type(model).__name__} without '
             'a backbone to count')
    is_ultrasam = isinstance(model, UltraSam)
    if args.image_size is None and not is_ultrasam:
        fail(f'{type(model).__name__} has no fixed input size: give '
             '--image-size H W')
    height, width = args.image_size or model.input_size
    print(f'config: {args.config} ({type(model).__name__}, '
          f'{type(backbone).__name__} encoder); input {height}x{width}; '
          'MACs (FLOPs = 2 x MACs; element-wise operations not counted)')
    image = torch.zeros(1, 3, height, width)
    with torch.no_grad():
        encoder_macs = count_macs(backbone, (image, ), 'image encoder')
        print(f'image encoder: {encoder_macs / 1e9:.3f} GMACs, '
              f'{parameters(backbone)} parameters')
        if is_ultrasam:
            embedding = model.extract_feat(image)
            boxes = torch.tensor([[0., 0., width / 2, height / 2]]).repeat(
                args.num_boxes, 1)
            decoding = BoxPromptDecoding(model)
            decoder_macs = count_macs(decoding, (embedding, boxes),
                                      'prompt decoder')
            print(f'prompt encoder + mask decoder, {args.num_boxes} box '
                  f'prompt(s): {decoder_macs / 1e9:.3f} GMACs '
                  f'({decoder_macs / args.num_boxes / 1e9:.4f} per prompt), '
                  f'{parameters(decoding)} parameters')
    print(f'whole model: {parameters(model)} parameters')


if __name__ == '__main__':
    main()
