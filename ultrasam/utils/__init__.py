from .torch_compat import (MMENGINE_CHECKPOINT_GLOBALS,
                           allow_mmengine_checkpoint_globals)

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'allow_mmengine_checkpoint_globals']
