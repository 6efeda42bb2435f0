"""SAM prompt encoder: points, boxes and mask logits to decoder inputs."""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from torch import Tensor, nn

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from ..structures import check_prompt_shapes
from .layers import RandomFourierPositionalEncoding

# Point labels: SAM's convention plus -1 for padding (ignored entries).
PAD_LABEL = -1
POS_LABEL = 1


@MODELS.register_module()
class SamPromptEncoder(BaseModule):
    """Encode prompts into sparse tokens and a dense embedding.

    Sparse tokens, per prompt set (instance), in this order:

    - one token per point: positional encoding of the pixel centre plus a
      learnt positive or negative embedding; points labelled -1 are padding:
      they get a zero token and are flagged in the padding mask, so any number
      of points per instance can be batched;
    - a box as two corner tokens (positional encoding plus a learnt corner
      embedding). Instances without a box get SAM's "not a point" token
      instead (a learnt embedding, no position) and one padding slot. When no
      box is given at all only the "not a point" token is appended, exactly
      like segment-anything.

    The dense embedding is the mask prompt (low-resolution logits, four times
    the embedding size) through two stride-2 convolutions, or the learnt
    ``no_mask_embed`` broadcast over the grid.

    Parameter names follow segment-anything so its checkpoints load directly.

    Args:
        embed_dims (int): Token channels. Defaults to 256.
        image_embedding_size (Sequence[int]): (h, w) of the image embedding.
            Defaults to (64, 64).
        input_image_size (Sequence[int]): (H, W) of the padded encoder input;
            point and box coordinates are pixel indices in this frame.
            Defaults to (1024, 1024).
        mask_in_channels (int): Hidden channels of the mask downscaling.
            Defaults to 16.
        coord_offset (float): Added to point and box coordinates before the
            positional encoding: 0.5 (segment-anything) moves a pixel index to
            the pixel centre; the original UltraSam release used 0.
            Defaults to 0.5.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 image_embedding_size: Sequence[int] = (64, 64),
                 input_image_size: Sequence[int] = (1024, 1024),
                 mask_in_channels: int = 16,
                 coord_offset: float = 0.5,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % 2:
            raise ValueError(f'embed_dims must be even, got {embed_dims}')
        if mask_in_channels % 4:
            raise ValueError('mask_in_channels must be a multiple of 4, got '
                             f'{mask_in_channels}')
        self.embed_dims = embed_dims
        self.coord_offset = float(coord_offset)
        self.image_embedding_size = tuple(image_embedding_size)
        self.input_image_size = tuple(input_image_size)
        self.mask_input_size = tuple(4 * s for s in self.image_embedding_size)

        self.pe_layer = RandomFourierPositionalEncoding(embed_dims // 2)
        # Negative point, positive point, box top-left, box bottom-right.
        self.point_embeddings = nn.ModuleList(
            nn.Embedding(1, embed_dims) for _ in range(4))
        self.not_a_point_embed = nn.Embedding(1, embed_dims)
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, mask_in_channels // 4, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_channels // 4, eps=1e-6),
            nn.GELU(),
            nn.Conv2d(
                mask_in_channels // 4, mask_in_channels, kernel_size=2,
                stride=2),
            LayerNorm2d(mask_in_channels, eps=1e-6),
            nn.GELU(),
            nn.Conv2d(mask_in_channels, embed_dims, kernel_size=1),
        )
        self.no_mask_embed = nn.Embedding(1, embed_dims)

    def get_dense_pe(self) -> Tensor:
        """Positional encoding of the image embedding grid, (1, C, h, w)."""
        return self.pe_layer.grid(self.image_embedding_size).unsqueeze(0)

    def embed_points(self, coords: Tensor, labels: Tensor) -> Tensor:
        """Point tokens (N, K, C); padding points (label -1) are zero."""
        embedding = self.pe_layer(coords + self.coord_offset,
                                  self.input_image_size)
        embedding = torch.where((labels == POS_LABEL)[..., None],
                                embedding + self.point_embeddings[1].weight,
                                embedding + self.point_embeddings[0].weight)
        return embedding.masked_fill((labels == PAD_LABEL)[..., None], 0.)

    def embed_boxes(self, boxes: Tensor) -> Tensor:
        """Corner tokens (N, 2, C) of (N, 4) xyxy boxes."""
        corners = self.pe_layer(
            boxes.reshape(-1, 2, 2) + self.coord_offset, self.input_image_size)
        corner_embed = torch.cat(
            [self.point_embeddings[2].weight, self.point_embeddings[3].weight])
        return corners + corner_embed

    def embed_masks(self, masks: Tensor) -> Tensor:
        """Dense embedding (N, C, h, w) of (N, 1, 4h, 4w) mask logits."""
        return self.mask_downscaling(masks)

    def forward(
        self,
        point_coords: Optional[Tensor] = None,
        point_labels: Optional[Tensor] = None,
        boxes: Optional[Tensor] = None,
        box_valid: Optional[Tensor] = None,
        masks: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """Encode N prompt sets.

        Args:
            point_coords (Tensor, optional): (N, K, 2) (x, y) pixel indices in
                the input frame.
            point_labels (Tensor, optional): (N, K) 1 positive, 0 negative,
                -1 padding.
            boxes (Tensor, optional): (N, 4) x1, y1, x2, y2 pixel indices of
                the first and last column / row.
            box_valid (Tensor, optional): (N,) bool, which rows of ``boxes``
                are real boxes; all when omitted.
            masks (Tensor, optional): (N, 1, 4h, 4w) mask logits.

        Returns:
            tuple[Tensor, Tensor, Tensor]:

            - sparse embeddings (N, T, C);
            - sparse padding mask (N, T) bool, True for padding tokens;
            - dense embeddings (N, C, h, w).
        """
        num_sets = check_prompt_shapes(point_coords, point_labels, boxes,
                                       masks, self.mask_input_size,
                                       box_valid)
        weight = self.no_mask_embed.weight
        tokens = [weight.new_zeros(num_sets, 0, self.embed_dims)]
        padding = [weight.new_zeros(num_sets, 0, dtype=torch.bool)]
        if point_coords is not None:
            tokens.append(self.embed_points(point_coords, point_labels))
            padding.append(point_labels == PAD_LABEL)
        if boxes is not None:
            box_tokens = self.embed_boxes(boxes)
            box_padding = torch.zeros(
                num_sets, 2, dtype=torch.bool, device=weight.device)
            if box_valid is not None:
                # Box-less rows: "not a point" token then one padding slot.
                no_box = torch.stack([
                    self.not_a_point_embed.weight.expand(num_sets, -1),
                    torch.zeros_like(box_tokens[:, 1])
                ], 1)
                box_tokens = torch.where(box_valid[:, None, None], box_tokens,
                                         no_box)
                box_padding[:, 1] = ~box_valid
            tokens.append(box_tokens)
            padding.append(box_padding)
        elif point_coords is not None:
            tokens.append(
                self.not_a_point_embed.weight.expand(num_sets, 1, -1))
            padding.append(padding[0].new_zeros(num_sets, 1))
        sparse = torch.cat(tokens, dim=1)
        sparse_padding = torch.cat(padding, dim=1)

        if masks is not None:
            dense = self.embed_masks(masks)
        else:
            dense = weight.reshape(1, -1, 1, 1).expand(
                num_sets, -1, *self.image_embedding_size)
        return sparse, sparse_padding, dense

