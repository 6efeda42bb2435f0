"""Training engine pieces: distributed setup, wrappers, hooks, FSDP policy."""
from .device_aware_ddp import DeviceAwareDistributedDataParallel
from .distributed import setup_cpu_distributed
from .fsdp_wrap_policy import vit_sam_block_wrap_policy
from .hooks import *  # noqa: F401,F403
from .optimizers import ViTLayerDecayOptimWrapperConstructor
from .sharded_clip_optim_wrapper import ShardedGradClipOptimWrapper

__all__ = [
    'DeviceAwareDistributedDataParallel', 'setup_cpu_distributed',
    'vit_sam_block_wrap_policy', 'ShardedGradClipOptimWrapper',
    'ViTLayerDecayOptimWrapperConstructor'
]
