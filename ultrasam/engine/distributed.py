"""Distributed training on machines without a GPU.

MMEngine's ``pytorch`` launcher calls ``torch.cuda.set_device`` before creating the
process group, and its DDP wrapper passes ``device_ids``; both fail on a CPU-only
machine. When there is no GPU we create the (gloo) process group ourselves, which
MMEngine's runner then reuses, and default the model wrapper to
:class:`DeviceAwareDistributedDataParallel`.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare ``cfg`` for a distributed run on CPU when no GPU is visible.

    Args:
        cfg (Config): The full config; ``cfg.launcher`` selects the launcher.

    Returns:
        bool: True if a gloo process group was created for a CPU run.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher={launcher!r} on a machine without GPU is not supported; '
            "use --launcher pytorch (tools/dist_train.sh) for CPU runs")
    missing = [key for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                               'MASTER_PORT') if key not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs the environment variables {missing}; '
            'start the script with torchrun or tools/dist_train.sh')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    cfg.setdefault('model_wrapper_cfg',
                   dict(type='DeviceAwareDistributedDataParallel'))
    return True
