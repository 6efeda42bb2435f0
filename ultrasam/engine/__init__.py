from .device_aware_ddp import DeviceAwareDistributedDataParallel
from .distributed import setup_cpu_distributed
from .hooks import *  # noqa: F401,F403

__all__ = ['DeviceAwareDistributedDataParallel', 'setup_cpu_distributed']
