"""Gradient-norm clipping by the global norm of gradients sharded across ranks."""
import math
from typing import List, Optional

import torch
import torch.distributed as torch_dist
from mmdet.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from torch.optim import Optimizer


@OPTIM_WRAPPERS.register_module()
class ShardedGradClipOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose ``clip_grad`` uses the norm over all ranks.

    ``OptimWrapper`` clips with :func:`torch.nn.utils.clip_grad_norm_` over the
    parameters it sees. Under FSDP (``FULL_SHARD`` or ``SHARD_GRAD_OP``,
    ``use_orig_params=True``) each rank sees only its own shard of every
    gradient, so each rank would clip by its shard's norm. Here each rank sums
    ``|g| ** p`` over its local gradients, the sums are all-reduced
    (``SUM``; ``MAX`` for ``norm_type=inf``) over the default process group
    when ``torch.distributed`` is initialised, and the result ``** (1 / p)`` is
    the norm of the full gradient, as in ``FSDP.clip_grad_norm_``. Gradients are
    then scaled by ``min(1, max_norm / (norm + 1e-6))`` and the norm is logged
    as ``train/grad_norm``, like ``OptimWrapper``.

    The shards must be disjoint over the default group: with ``NO_SHARD``,
    ``HYBRID_SHARD`` or plain DDP (replicated gradients) the norm is too large.
    Without an initialised process group it equals ``clip_grad_norm_``.

    Args:
        optimizer (Optimizer): The optimizer.
        accumulative_counts (int): As in :class:`OptimWrapper`.
        clip_grad (dict, optional): ``dict(max_norm=..., norm_type=2,
            error_if_nonfinite=False)``; ``type`` may only be ``'norm'``.
            None disables clipping.
    """

    def __init__(self,
                 optimizer: Optimizer,
                 accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None):
        if clip_grad is not None and clip_grad.get('type', 'norm') != 'norm':
            raise ValueError(
                f'{type(self).__name__} only clips by norm '
                "(clip_grad type='norm'), got "
                f"type={clip_grad.get('type')!r}; use OptimWrapper for "
                'clipping by value (which is per element, so needs no '
                'communication across ranks)')
        super().__init__(
            optimizer=optimizer,
            accumulative_counts=accumulative_counts,
            clip_grad=clip_grad)
        if clip_grad is not None:
            self.clip_func = self._clip_grad_norm_global

    def _clip_grad(self) -> None:
        """Clip the gradients by their global norm and log it.

        Unlike ``OptimWrapper._clip_grad`` the clip function is called even
        when this rank holds no gradient, since every rank must join the
        all-reduce.
        """
        params: List[torch.Tensor] = []
        for param_group in self.optimizer.param_groups:
            params.extend(param_group['params'])
        # The device of the norm (e.g. CUDA for NCCL) even without gradients.
        device = params[0].device if params else torch.device('cpu')
        params = [p for p in params if p.requires_grad and p.grad is not None]
        grad = self.clip_func(params, device=device, **self.clip_grad_kwargs)
        self.message_hub.update_scalar(f'train/{self.grad_name}', float(grad))

    @staticmethod
    def _clip_grad_norm_global(parameters: List[torch.Tensor],
                               max_norm: float,
                               norm_type: float = 2.0,
                               error_if_nonfinite: bool = False,
                               foreach: Optional[bool] = None,
                               device: Optional[torch.device] = None
                               ) -> torch.Tensor:
        """``clip_grad_norm_`` with the norm taken over all ranks.

        ``foreach`` is accepted for compatibility with
        :func:`torch.nn.utils.clip_grad_norm_` and ignored.

        Returns:
            torch.Tensor: The global norm of the gradients before clipping.
        """
        norm_type = float(norm_type)
        if norm_type <= 0:
            raise ValueError(f'norm_type must be positive, got {norm_type}')
        grads = [p.grad for p in parameters if p.grad is not None]
        if device is None:
            device = grads[0].device if grads else torch.device('cpu')
        local = torch.zeros((), dtype=torch.float32, device=device)
        for g in grads:
            if g.numel() == 0:  # an FSDP rank may hold no part of a parameter
                continue
            norm = torch.linalg.vector_norm(
                g.detach(), norm_type, dtype=torch.float32).to(device)
            local = (torch.maximum(local, norm) if math.isinf(norm_type) else
                     local + norm**norm_type)
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.all_reduce(
                local,
                op=(torch_dist.ReduceOp.MAX
                    if math.isinf(norm_type) else torch_dist.ReduceOp.SUM))
        total_norm = (local if math.isinf(norm_type) else
                      local**(1.0 / norm_type))
        if error_if_nonfinite and not torch.isfinite(total_norm):
            raise RuntimeError(
                f'The total norm of order {norm_type} for gradients from '
                '`parameters` is non-finite, so it cannot be clipped. To '
                'disable this error and scale the gradients by the non-finite '
                'norm anyway, set `error_if_nonfinite=False`')
        clip_coef = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)
        for g in grads:
            g.detach().mul_(clip_coef.to(device=g.device, dtype=g.dtype))
        return total_norm


# The strategy / runner builds ``optim_wrapper`` with MMEngine's root
# ``OPTIM_WRAPPERS``; under ``default_scope='mmdet'`` that resolves through the
# mmdet child registry, otherwise (no or 'mmengine' scope) only the root one is
# searched. Registering in both finds the class either way.
MMENGINE_OPTIM_WRAPPERS.register_module(module=ShardedGradClipOptimWrapper)
