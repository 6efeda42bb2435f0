"""DistributedDataParallel wrapper that also runs CPU modules (gloo)."""
from typing import List, Optional

import torch.nn as nn
from mmdet.registry import MODEL_WRAPPERS
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAwareDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's DDP wrapper that also runs on CPU.

    MMEngine's runner always passes ``device_ids=[LOCAL_RANK]``; PyTorch rejects
    ``device_ids`` for a module whose parameters live on the CPU. They are dropped
    in that case and kept for GPU modules.

    Args:
        module (nn.Module): The model to wrap.
        device_ids (list[int], optional): GPU ids; ignored for CPU modules.
        **kwargs: Passed to :class:`MMDistributedDataParallel`.
    """

    def __init__(self,
                 module: nn.Module,
                 device_ids: Optional[List[int]] = None,
                 **kwargs) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(
            module=module, device_ids=None if on_cpu else device_ids, **kwargs)


# ``Runner.wrap_model`` resolves the wrapper type with an unscoped
# ``MODEL_WRAPPERS.get`` on MMEngine's root registry, which does not search the
# mmdet child registry: without this, ``model_wrapper_cfg`` naming this class
# fails with "issubclass() arg 1 must be a class" in every distributed run.
MMENGINE_MODEL_WRAPPERS.register_module(
    module=DeviceAwareDistributedDataParallel)
