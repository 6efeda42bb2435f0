"""Checkpoint reading and loading, run preflight checks, torch compatibility."""
from .checkpoint import (CheckpointError, StateDict, WeightMismatch,
                         check_finite,
                         check_state_dict_fits, compare_state_dict,
                         extract_state_dict, foreign_format_hint,
                         checkpoint_format, load_model_weights,
                         load_state_dict_into, read_checkpoint,
                         read_state_dict, save_checkpoint, summarise_keys)
from .torch_compat import (MMENGINE_CHECKPOINT_GLOBALS,
                           allow_mmengine_checkpoint_globals)

__all__ = [
    'CheckpointError', 'StateDict', 'WeightMismatch', 'check_finite',
    'check_state_dict_fits', 'compare_state_dict', 'extract_state_dict',
    'foreign_format_hint', 'checkpoint_format', 'load_model_weights',
    'load_state_dict_into', 'read_checkpoint', 'read_state_dict',
    'save_checkpoint', 'summarise_keys', 'MMENGINE_CHECKPOINT_GLOBALS',
    'allow_mmengine_checkpoint_globals'
]
