"""Test double for accelerator tensors: numpy conversion fails until ``.cpu()``.

CI has no GPU, so code that reads a CUDA tensor with ``np.asarray`` /
``.numpy()`` would only fail on users' machines. :class:`OffHostTensor` behaves
like a tensor on an accelerator in that one respect: every torch operation
works (and its results stay off-host), ``.cpu()`` gives a normal tensor, and
any direct conversion to numpy raises the error CUDA gives. ``.to(device)``
keeps it off-host: the double reports device 'cpu', and ``.to(x.device)`` is
how code follows another tensor's device.

:class:`OffHostUltraSam` is an :class:`UltraSam` whose data samples and image
embeddings are off-host, as after MMEngine's data preprocessor on a GPU; it is
registered so that a config can use it in a real ``tools/test.py`` run
(``custom_imports=dict(imports=['off_host'])`` with this directory on
``PYTHONPATH``).
"""
from typing import Any

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures import SampleList
from ultrasam.models import UltraSam

REFUSAL = ("can't convert off-host device type tensor to numpy. Use "
           'Tensor.cpu() to copy the tensor to host memory first.')


class OffHostTensor(Tensor):
    """A CPU tensor that refuses host conversion like a CUDA tensor."""

    def numpy(self, *args: Any, **kwargs: Any):
        raise TypeError(REFUSAL)

    def __array__(self, *args: Any, **kwargs: Any):
        raise TypeError(REFUSAL)

    def cpu(self, *args: Any, **kwargs: Any) -> Tensor:
        return super().cpu(*args, **kwargs).as_subclass(Tensor)


def off_host(value: Any) -> Any:
    """``value`` with every tensor in it (data elements included) off-host."""
    if isinstance(value, Tensor):
        return value.as_subclass(OffHostTensor)
    if isinstance(value, BaseDataElement):
        for key, item in value.items():
            if isinstance(item, (Tensor, BaseDataElement)):
                setattr(value, key, off_host(item))
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(off_host(item) for item in value)
    return value


@MODELS.register_module()
class OffHostUltraSam(UltraSam):
    """UltraSam whose inputs, data samples, embeddings and outputs are off-host."""

    def extract_feat(self, batch_inputs: Tensor) -> Tensor:
        return off_host(super().extract_feat(batch_inputs))

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        return off_host(super().predict(
            off_host(batch_inputs), off_host(batch_data_samples), rescale))

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        return super().loss(
            off_host(batch_inputs), off_host(batch_data_samples))
