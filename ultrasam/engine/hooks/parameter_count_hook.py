"""Log how many parameters train (and of how many) when training starts."""
from collections import OrderedDict
from typing import Dict, Tuple

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import nn


def count_parameters(model: nn.Module) -> Dict[str, Tuple[int, int]]:
    """``{top-level module: (trainable, total)}`` numbers of parameter
    elements, plus the whole model under ``'total'``; shared parameters are
    counted once.

    Args:
        model (nn.Module): The (unwrapped) model.
    """
    counts: Dict[str, Tuple[int, int]] = OrderedDict()
    seen = set()
    for name, parameter in model.named_parameters():
        if id(parameter) in seen:
            continue
        seen.add(id(parameter))
        module = name.split('.')[0]
        for key in (module, 'total'):
            trainable, total = counts.get(key, (0, 0))
            counts[key] = (trainable + parameter.numel() *
                           parameter.requires_grad, total + parameter.numel())
    counts.move_to_end('total')
    return counts


@HOOKS.register_module()
class ParameterCountHook(Hook):
    """Log the trainable and total parameter counts before the first
    iteration: for the model and per top-level module (backbone, head,
    mask_decoder, ...). A parameter trains when ``requires_grad`` is set, so
    this shows what linear probing, LoRA, adapters or frozen parts leave to
    train."""

    priority = 'VERY_LOW'

    def before_train(self, runner: Runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        counts = count_parameters(model)
        trainable, total = counts['total']
        lines = [f'trainable parameters: {trainable:,} of {total:,} '
                 f'({100 * trainable / max(total, 1):.2f} %)']
        lines += [f'  {name}: {count:,} of {size:,}'
                  for name, (count, size) in counts.items()
                  if name != 'total']
        runner.logger.info('\n'.join(lines))
