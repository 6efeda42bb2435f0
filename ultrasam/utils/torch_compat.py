"""Compatibility of MMEngine 0.10.7 checkpoints with torch >= 2.6.

torch 2.6 made ``torch.load`` default to ``weights_only=True``. MMEngine 0.10.7 calls
``torch.load`` without that argument, and its own checkpoints carry a few non-tensor
objects in ``message_hub`` (:class:`HistoryBuffer`, the numpy arrays and scalars inside
it, and references to its statistics methods), so resuming fails with "Unsupported
global". The documented seam is ``torch.serialization.add_safe_globals``: we allow-list
exactly those types, so loading stays restricted to weights and plain data.
"""
import pickle
from typing import Callable, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


# HistoryBuffer registers these in ``__init__``; a process that loads a checkpoint
# before creating any HistoryBuffer (e.g. tools/test.py) has an empty registry.
_DEFAULT_STATISTICS_METHODS = ('min', 'max', 'current', 'mean')


def history_buffer_method(owner: type, name: str) -> Callable:
    """Restricted stand-in for ``getattr`` while unpickling checkpoints.

    Pickle protocol 2 (torch's default) stores ``HistoryBuffer.min`` and the other
    statistics methods as ``getattr(HistoryBuffer, 'min')``. Allow-listing the real
    ``getattr`` would let a malicious file reach any attribute of any allowed object,
    so this only resolves statistics methods of :class:`HistoryBuffer`.
    """
    registered = HistoryBuffer._statistics_methods
    if owner is not HistoryBuffer or name not in (
            *_DEFAULT_STATISTICS_METHODS, *registered):
        raise pickle.UnpicklingError(
            f'refusing getattr({owner!r}, {name!r}) while loading a checkpoint: '
            'only HistoryBuffer statistics methods are allowed')
    return registered.get(name, getattr(HistoryBuffer, name))


def _numpy_reconstruction_globals() -> List[object]:
    """Callables and types numpy uses to pickle arrays, scalars and dtypes."""
    # numpy 2 moved the private module from numpy.core to numpy._core.
    multiarray = (np._core if hasattr(np, '_core') else np.core).multiarray
    dtype_classes = [type(np.dtype(code)) for code in 'b?hilqefdgBHILQFDGUSV']
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *dtype_classes]


MMENGINE_CHECKPOINT_GLOBALS = [
    HistoryBuffer, (history_buffer_method, 'builtins.getattr'),
    *_numpy_reconstruction_globals()
]


def allow_mmengine_checkpoint_globals() -> None:
    """Allow-list the non-tensor objects found in MMEngine checkpoints.

    A no-op on torch releases without ``add_safe_globals`` (< 2.4), whose
    ``torch.load`` does not restrict globals by default.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)
