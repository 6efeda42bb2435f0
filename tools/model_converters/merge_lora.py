"""Merge the LoRA weights of a checkpoint into a plain checkpoint (no LoRA).

A LoRA config (an ``mmpretrain.LoRAModel`` backbone, e.g.
``configs/downstream/classification/vitsam-t_ultrasam_lora_phantom.py`` or
``configs/ultrasam/peft/*_lora*.py``) saves only the LoRA weights of its
encoder (plus the head / decoder); the frozen encoder comes from the config's
``init_cfg`` checkpoint when the model is built. This tool builds that model,
loads the LoRA checkpoint strictly, folds every LoRA layer into its linear
layer (``W + up @ down * alpha / rank``) and writes a checkpoint of the same
model without LoRA, which loads strictly into the config without the LoRA
wrapper (e.g. ``vitsam-t_ultrasam_full_phantom.py``)::

    python tools/model_converters/merge_lora.py \
        configs/downstream/classification/vitsam-t_ultrasam_lora_phantom.py \
        work_dirs/vitsam-t_ultrasam_lora_phantom/best_cls_macro_f1_iter_400.pth \
        checkpoints/phantom_lora_merged.pth

An existing output is replaced only with ``--force``; the inputs never.
"""
import argparse
import os.path as osp
import sys
from typing import Iterator, NoReturn, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, DefaultScope
from mmpretrain.models.peft import LoRAModel
from mmpretrain.models.peft.lora import LoRALinear
from torch import nn

import ultrasam  # noqa: F401  (registers the components)
from ultrasam.utils import CheckpointError, load_model_weights, save_checkpoint
from ultrasam.utils.checkpoint_conversion import output_path_problem

TOOL = osp.basename(__file__)


def merged_linear(layer: LoRALinear) -> nn.Linear:
    """A plain linear layer computing what ``layer`` computes in eval mode."""
    original = layer.original_layer
    merged = nn.Linear(original.in_features, original.out_features,
                       bias=original.bias is not None)
    with torch.no_grad():
        update = layer.lora_up.weight @ layer.lora_down.weight
        merged.weight.copy_(original.weight + update * layer.scaling)
        if original.bias is not None:
            merged.bias.copy_(original.bias)
    return merged


def merge_lora(model: nn.Module) -> int:
    """Replace, in place, every ``LoRAModel`` of ``model`` by its module with
    the LoRA layers merged.

    Args:
        model (nn.Module): A model holding ``LoRAModel`` sub-modules.

    Returns:
        int: The number of LoRA layers merged.
    """
    merged = 0
    wrappers = [(name, module) for name, module in model.named_modules()
                if isinstance(module, LoRAModel)]
    if not wrappers:
        raise ValueError('the model has no mmpretrain.LoRAModel: nothing to '
                         'merge (is it a LoRA config?)')
    for name, wrapper in wrappers:
        inner = wrapper.module
        for layer_name, layer in list(inner.named_modules()):
            if isinstance(layer, LoRALinear):
                parent_name, _, attribute = layer_name.rpartition('.')
                parent = inner.get_submodule(parent_name)
                setattr(parent, attribute, merged_linear(layer))
                merged += 1
        parent_name, _, attribute = name.rpartition('.')
        setattr(model.get_submodule(parent_name), attribute, inner)
    return merged


def pretrained_checkpoints(node: object) -> Iterator[str]:
    """The ``checkpoint`` of every ``Pretrained`` init_cfg under ``node``."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield node['checkpoint']
        for value in node.values():
            yield from pretrained_checkpoints(value)
    elif isinstance(node, list):
        for value in node:
            yield from pretrained_checkpoints(value)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog=TOOL, description=__doc__.split(
        '\n')[0])
    parser.add_argument('config', help='the LoRA config')
    parser.add_argument('checkpoint', help='a checkpoint of that config')
    parser.add_argument('out', help='output checkpoint, without LoRA')
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing OUT')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings as in tools/train.py, e.g. the init '
        'checkpoint model.backbone.module.init_cfg.checkpoint=PATH')
    args = parser.parse_args(argv)

    def fail(message: str) -> NoReturn:
        sys.exit(f'{TOOL}: error: {message}')

    if not osp.isfile(args.config):
        fail(f'config file {args.config} not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    # The frozen encoder is read from the init_cfg checkpoint at build time.
    inputs = [args.checkpoint, *pretrained_checkpoints(cfg.model)]
    for path in inputs:
        if not osp.isfile(path):
            fail(f'checkpoint {path} not found')
    for path in (args.config, *inputs):
        problem = output_path_problem(path, args.out, args.force)
        if problem:
            fail(problem)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        model = MODELS.build(cfg.model)
    try:
        load_model_weights(model, args.checkpoint, strict=True)
        count = merge_lora(model)
    except (CheckpointError, ValueError) as error:
        fail(str(error))
    save_checkpoint(
        dict(state_dict=model.state_dict(),
             meta=dict(merged_from=args.checkpoint, config=args.config)),
        args.out)
    print(f'{TOOL}: merged {count} LoRA layers of {args.checkpoint}; saved '
          f'{len(model.state_dict())} tensors to {args.out} (load it with the '
          'config without the LoRAModel wrapper)')


if __name__ == '__main__':
    main()
