"""SAM's ViT image encoder with fused (SDPA) attention, mmpretrain-compatible."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.cnn.bricks.transformer import PatchEmbed
from mmengine.model import ModuleList
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.backbones.vit_sam import ViTSAM
from mmpretrain.models.utils import LayerNorm2d, to_2tuple

from mmdet.registry import MODELS
from .fast_vit_sam_layer import FastViTSAMLayer


@MODELS.register_module()
class FastViTSAM(ViTSAM):
    """mmpretrain's ``ViTSAM`` with attention through
    ``F.scaled_dot_product_attention``.

    Same arguments, modules, state-dict keys and outputs (to float rounding)
    as ``mmpretrain.ViTSAM``, so SAM, MedSAM, UltraSam and mmpretrain
    checkpoints load unchanged; only the blocks differ
    (:class:`FastViTSAMLayer`): the decomposed relative-position bias is the
    additive mask of one SDPA call per block (fused CPU / GPU kernels instead
    of explicit matmul + softmax) and windows cost no projection of padding.
    All other methods (checkpoint resizing hooks, freezing, layer depth for
    layer-wise learning rates) are ``ViTSAM``'s.

    Args:
        arch (str | dict): 'base', 'large', 'huge' or a dict with
            ``embed_dims``, ``num_layers``, ``num_heads``,
            ``feedforward_channels`` and ``global_attn_indexes``.
        img_size (int | tuple): Input size the position embeddings are
            made for. Defaults to 224.
        patch_size (int): Patch size. Defaults to 16.
        in_channels (int): Input channels. Defaults to 3.
        out_channels (int): Channels of the neck; 0 disables it.
            Defaults to 256.
        out_indices (int | Sequence[int]): Blocks whose output is returned.
            Defaults to -1 (the last).
        out_type (str): 'raw' / 'featmap' (B, C, H, W) or 'avg_featmap'
            (B, C). Defaults to 'raw'.
        drop_rate (float): Dropout after the position embedding and in the
            MLPs. Defaults to 0.
        drop_path_rate (float): Stochastic depth of the last block
            (linear from 0). Defaults to 0.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
        use_abs_pos (bool): Absolute position embedding. Defaults to True.
        use_rel_pos (bool): Relative position bias. Defaults to True.
        window_size (int): Window of the non-global blocks. Defaults to 14.
        norm_cfg (dict): Norm of the blocks. Defaults to LN with eps 1e-6.
        frozen_stages (int): Freeze the patch embedding and this many
            blocks (the neck too when all are); -1 freezes nothing.
            Defaults to -1.
        interpolate_mode (str): Resize mode of the position embedding.
            Defaults to 'bicubic'.
        patch_cfg (dict): Overrides of the patch embedding config.
            Defaults to an empty dict.
        layer_cfgs (dict | Sequence[dict]): Overrides of the block configs
            (one dict for all or one per block). Defaults to an empty dict.
        with_cp (bool): Activation checkpointing in every block (saves
            training memory, costs a second forward). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 out_channels: int = 256,
                 out_indices: Union[int, Sequence[int]] = -1,
                 out_type: str = 'raw',
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 use_abs_pos: bool = True,
                 use_rel_pos: bool = True,
                 window_size: int = 14,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 frozen_stages: int = -1,
                 interpolate_mode: str = 'bicubic',
                 patch_cfg: dict = dict(),
                 layer_cfgs: Union[dict, Sequence[dict]] = dict(),
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        # ViTSAM.__init__ would build (and randomly initialise) blocks of its
        # own class: build the same modules here with FastViTSAMLayer blocks.
        BaseBackbone.__init__(self, init_cfg)
        self.arch_settings = self._arch_settings(arch)
        self.embed_dims = self.arch_settings['embed_dims']
        self.num_layers = self.arch_settings['num_layers']
        self.global_attn_indexes = self.arch_settings['global_attn_indexes']
        self.img_size = to_2tuple(img_size)

        self.patch_embed = PatchEmbed(**dict(
            dict(
                in_channels=in_channels,
                input_size=img_size,
                embed_dims=self.embed_dims,
                conv_type='Conv2d',
                kernel_size=patch_size,
                stride=patch_size), **patch_cfg))
        self.patch_resolution = self.patch_embed.init_out_size

        if out_type not in self.OUT_TYPES:
            raise ValueError(f'out_type must be one of {sorted(self.OUT_TYPES)}'
                             f', got {out_type!r}')
        self.out_type = out_type

        self.use_abs_pos = use_abs_pos
        self.interpolate_mode = interpolate_mode
        if use_abs_pos:
            self.pos_embed = nn.Parameter(
                torch.zeros(1, *self.patch_resolution, self.embed_dims))
            self.drop_after_pos = nn.Dropout(p=drop_rate)
            self._register_load_state_dict_pre_hook(self._prepare_pos_embed)
        if use_rel_pos:
            self._register_load_state_dict_pre_hook(
                self._prepare_relative_position)

        self.out_indices = self._resolve_out_indices(out_indices)

        if isinstance(layer_cfgs, dict):
            layer_cfgs = [layer_cfgs] * self.num_layers
        if len(layer_cfgs) != self.num_layers:
            raise ValueError(f'layer_cfgs has {len(layer_cfgs)} entries for '
                             f'{self.num_layers} blocks')
        drop_path_rates = np.linspace(0, drop_path_rate, self.num_layers)
        self.layers = ModuleList()
        for i in range(self.num_layers):
            self.layers.append(
                FastViTSAMLayer(**dict(
                    dict(
                        embed_dims=self.embed_dims,
                        num_heads=self.arch_settings['num_heads'],
                        feedforward_channels=self.
                        arch_settings['feedforward_channels'],
                        drop_rate=drop_rate,
                        drop_path_rate=drop_path_rates[i],
                        qkv_bias=qkv_bias,
                        window_size=0
                        if i in self.global_attn_indexes else window_size,
                        input_size=self.patch_resolution,
                        use_rel_pos=use_rel_pos,
                        norm_cfg=norm_cfg,
                        with_cp=with_cp), **layer_cfgs[i])))

        self.out_channels = out_channels
        if out_channels > 0:
            self.channel_reduction = nn.Sequential(
                nn.Conv2d(
                    self.embed_dims, out_channels, kernel_size=1, bias=False),
                LayerNorm2d(out_channels, eps=1e-6),
                nn.Conv2d(
                    out_channels,
                    out_channels,
                    kernel_size=3,
                    padding=1,
                    bias=False),
                LayerNorm2d(out_channels, eps=1e-6),
            )

        self.frozen_stages = frozen_stages
        if frozen_stages > 0:
            self._freeze_stages()

    def train(self, mode: bool = True) -> 'FastViTSAM':
        """Set the training mode and return the module, as
        ``nn.Module.train`` does (mmpretrain's ``BaseBackbone.train`` returns
        None, which breaks ``model.eval()`` chains)."""
        super().train(mode)
        return self

    def _arch_settings(self, arch: Union[str, dict]) -> dict:
        """The architecture dict of a name in ``arch_zoo`` or a custom one."""
        if isinstance(arch, str):
            if arch.lower() not in self.arch_zoo:
                raise ValueError(f'arch {arch!r} is not one of '
                                 f'{sorted(self.arch_zoo)}')
            return self.arch_zoo[arch.lower()]
        required = {
            'embed_dims', 'num_layers', 'num_heads', 'feedforward_channels',
            'global_attn_indexes'
        }
        if not isinstance(arch, dict) or not required <= set(arch):
            raise ValueError(f'a custom arch must be a dict with the keys '
                             f'{sorted(required)}, got {arch!r}')
        return arch

    def _resolve_out_indices(
            self, out_indices: Union[int, Sequence[int]]) -> list:
        """Block indices, negative ones counted from the end."""
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        resolved = []
        for index in out_indices:
            block = index + self.num_layers if index < 0 else index
            if not 0 <= block < self.num_layers:
                raise ValueError(f'out_indices entry {index} is not a block '
                                 f'of the {self.num_layers}')
            resolved.append(block)
        return resolved
