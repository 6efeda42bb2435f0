"""FSDP auto-wrap policy that makes every ViTSAM block its own FSDP unit."""
import torch.nn as nn
from mmengine.registry import FUNCTIONS
from mmpretrain.models.backbones.vit_sam import TransformerEncoderLayer
from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy


# Registered in MMEngine's root registry: ``MMFullyShardedDataParallel`` looks
# ``auto_wrap_policy=dict(type=...)`` up under
# ``FUNCTIONS.switch_scope_and_registry(None)``, which does not search the
# mmdet child registry.
@FUNCTIONS.register_module()
def vit_sam_block_wrap_policy(module: nn.Module, recurse: bool,
                              nonwrapped_numel: int) -> bool:
    """Wrap each ViTSAM block (mmpretrain ``vit_sam.TransformerEncoderLayer``).

    A size-based policy does not follow block boundaries (for ViT-H at 1e7 it
    wraps the MLPs and puts the rest of ``backbone.layers``, a ``ModuleList``
    whose ``forward`` is never called, in one unit). This one has the semantics
    of :func:`torch.distributed.fsdp.wrap.transformer_auto_wrap_policy`: it
    recurses into every module and wraps exactly the ViT blocks; all other
    parameters stay in the root FSDP unit.

    Args:
        module (nn.Module): The module being considered.
        recurse (bool): True when FSDP asks whether to descend into
            ``module``; False when it asks whether to wrap it.
        nonwrapped_numel (int): Parameters not yet wrapped (unused).

    Returns:
        bool: Whether to recurse (``recurse=True``) or to wrap ``module``.
    """
    return transformer_auto_wrap_policy(
        module,
        recurse,
        nonwrapped_numel,
        transformer_layer_cls={TransformerEncoderLayer})
