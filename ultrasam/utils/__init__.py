"""Package-wide helpers: checkpoint reading and loading, host arrays, torch
checkpoint compatibility."""
from .checkpoint import (CheckpointError, StateDict, WeightMismatch,
                         check_finite, check_state_dict_fits,
                         checkpoint_format, compare_state_dict,
                         extract_state_dict, foreign_format_hint,
                         load_model_weights, load_state_dict_into,
                         read_checkpoint, read_state_dict, save_checkpoint,
                         summarise_keys)
from .host_arrays import to_numpy
from .torch_compat import (MMENGINE_CHECKPOINT_GLOBALS,
                           allow_mmengine_checkpoint_globals)

__all__ = [
    'CheckpointError', 'StateDict', 'WeightMismatch', 'check_finite',
    'check_state_dict_fits', 'checkpoint_format', 'compare_state_dict',
    'extract_state_dict', 'foreign_format_hint', 'load_model_weights',
    'load_state_dict_into', 'read_checkpoint', 'read_state_dict',
    'save_checkpoint', 'summarise_keys', 'to_numpy',
    'MMENGINE_CHECKPOINT_GLOBALS', 'allow_mmengine_checkpoint_globals'
]
