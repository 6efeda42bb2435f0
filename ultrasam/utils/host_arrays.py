"""Bring tensors from any device to host numpy arrays (one seam for all readers)."""
from typing import Any, Optional

import numpy as np
import torch

from mmdet.structures.mask import BitmapMasks, PolygonMasks


def to_numpy(value: Any, dtype: Optional[np.dtype] = None) -> np.ndarray:
    """A host numpy array of a tensor on any device, an array or a sequence.

    On a GPU run MMEngine moves every data sample to the device, so metrics,
    visualizers and tools receive CUDA tensors that ``np.asarray`` cannot read.
    Every conversion to numpy in the package goes through here. bf16 / fp16
    tensors become float32 (numpy has no bfloat16).

    Args:
        value: ``torch.Tensor`` (any device, with or without grad),
            ``np.ndarray``, mmdet ``BitmapMasks`` / ``PolygonMasks``, or
            anything ``np.asarray`` accepts (lists, scalars).
        dtype (np.dtype, optional): Cast to this dtype.

    Returns:
        np.ndarray: The values, on the host.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype in (torch.bfloat16, torch.float16):
            value = value.float()
        value = value.cpu().numpy()
    elif isinstance(value, BitmapMasks):
        value = value.masks
    elif isinstance(value, PolygonMasks):
        value = value.to_ndarray()
    return np.asarray(value, dtype=dtype)
