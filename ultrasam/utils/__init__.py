"""Package-wide helpers: host arrays and torch checkpoint compatibility."""
from .host_arrays import to_numpy
from .torch_compat import (MMENGINE_CHECKPOINT_GLOBALS,
                           allow_mmengine_checkpoint_globals)

__all__ = [
    'MMENGINE_CHECKPOINT_GLOBALS', 'allow_mmengine_checkpoint_globals',
    'to_numpy'
]
