"""ViTDet's simple feature pyramid from one plain-ViT feature map."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d

from mmdet.registry import MODELS

_SCALES = (4.0, 2.0, 1.0, 0.5)


@MODELS.register_module()
class SimpleFPN(BaseModule):
    """Multi-scale maps from the single stride-16 map of a plain ViT (ViTDet).

    One encoder feature map (by default the last one the backbone returns) is
    resampled per output level: x4 by two 2x2 transposed convolutions with
    ``LayerNorm2d`` and GELU between them, x2 by one, x1 unchanged, x0.5 by 2x2
    max pooling. Every level is then projected to ``out_channels`` by a 1x1 and
    a 3x3 convolution, each followed by ``LayerNorm2d``. Levels beyond the
    scale factors (``num_outs > len(scale_factors)``, e.g. the stride-64 level
    of an RPN) are max pooled (kernel 1, stride 2) from the last one. With a
    stride-16 input the default gives strides 4, 8, 16 and 32.

    Args:
        in_channels (int): Channels of the encoder map (768 for ViT-B).
        out_channels (int): Channels of every output level.
        scale_factors (Sequence[float]): Resampling factor of each level, from
            finest to coarsest, each one of 4, 2, 1 and 0.5.
            Defaults to (4.0, 2.0, 1.0, 0.5).
        num_outs (int, optional): Number of outputs; ``len(scale_factors)``
            when None. Defaults to None.
        in_index (int): Which of the backbone's outputs is used.
            Defaults to -1 (the last).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Xavier-uniform convolutions.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 scale_factors: Sequence[float] = _SCALES,
                 num_outs: Optional[int] = None,
                 in_index: int = -1,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier',
                     layer=['Conv2d', 'ConvTranspose2d'],
                     distribution='uniform')) -> None:
        super().__init__(init_cfg=init_cfg)
        scale_factors = tuple(float(s) for s in scale_factors)
        unknown = [s for s in scale_factors if s not in _SCALES]
        if not scale_factors or unknown:
            raise ValueError(f'SimpleFPN: scale_factors must be non-empty '
                             f'values of {_SCALES}, got {scale_factors}')
        divisor = max(int(s) for s in scale_factors)
        if in_channels % divisor:
            raise ValueError(f'SimpleFPN: in_channels={in_channels} must be '
                             f'divisible by {divisor} for the x{divisor} '
                             'level')
        num_outs = len(scale_factors) if num_outs is None else num_outs
        if num_outs < len(scale_factors):
            raise ValueError(
                f'SimpleFPN: num_outs={num_outs} is smaller than the '
                f'{len(scale_factors)} scale_factors')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factors = scale_factors
        self.num_outs = num_outs
        self.in_index = in_index

        self.resamplers = nn.ModuleList()
        self.projections = nn.ModuleList()
        for scale in scale_factors:
            resampler, channels = self._resampler(in_channels, scale)
            self.resamplers.append(resampler)
            self.projections.append(
                nn.Sequential(
                    nn.Conv2d(channels, out_channels, 1, bias=False),
                    LayerNorm2d(out_channels),
                    nn.Conv2d(
                        out_channels, out_channels, 3, padding=1,
                        bias=False),
                    LayerNorm2d(out_channels)))

    @staticmethod
    def _resampler(channels: int, scale: float) -> Tuple[nn.Module, int]:
        """The resampling module of one level and its output channels."""
        if scale == 4.0:
            return nn.Sequential(
                nn.ConvTranspose2d(channels, channels // 2, 2, stride=2),
                LayerNorm2d(channels // 2), nn.GELU(),
                nn.ConvTranspose2d(
                    channels // 2, channels // 4, 2, stride=2)), channels // 4
        if scale == 2.0:
            return nn.ConvTranspose2d(
                channels, channels // 2, 2, stride=2), channels // 2
        if scale == 1.0:
            return nn.Identity(), channels
        return nn.MaxPool2d(2, stride=2), channels

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        """The pyramid of one backbone output.

        Args:
            inputs (Sequence[torch.Tensor]): Backbone outputs, each
                ``(B, C, H, W)``; ``inputs[in_index]`` is used.

        Returns:
            tuple[torch.Tensor]: ``num_outs`` maps, finest first.
        """
        feature = inputs[self.in_index]
        if feature.dim() != 4 or feature.shape[1] != self.in_channels:
            raise ValueError(
                f'SimpleFPN expects a (B, {self.in_channels}, H, W) map, got '
                f'shape {tuple(feature.shape)}; give the backbone '
                "out_type='featmap' and out_channels=0")
        outs = [
            project(resample(feature))
            for resample, project in zip(self.resamplers, self.projections)
        ]
        while len(outs) < self.num_outs:
            outs.append(nn.functional.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
