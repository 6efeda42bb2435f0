"""SAM mask decoder head: output tokens, mask prediction, IoU head, losses."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from torch import Tensor, nn

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from .layers import MLP
from .mask_losses import dice_loss, mask_iou, sigmoid_focal_loss


@MODELS.register_module()
class SamMaskDecoder(BaseModule):
    """Predict masks and their IoU from an image embedding and prompt tokens.

    An IoU token and ``num_multimask_outputs + 1`` mask tokens are prepended
    to the prompt tokens and run through the two-way transformer together with
    the (prompt-conditioned) image embedding. The image tokens are upscaled 4x
    by two transposed convolutions; each mask token goes through its own
    hypernetwork MLP into the weights of a per-pixel linear map, giving one
    mask logit map per token. Mask token 0 is the single-mask output, tokens
    1.. the multimask (ambiguity-aware) candidates. The IoU token predicts the
    IoU of every candidate.

    Losses are computed at the low (output) resolution, 4x the embedding size
    (256 x 256 for a 1024 input): focal x ``loss_focal_weight`` + dice x
    ``loss_dice_weight`` on the selected candidate and an IoU-prediction MSE
    x ``loss_iou_weight`` on every candidate of the output mode. In multimask
    mode the candidate with the smallest mask loss is supervised (SAM recipe).

    Args:
        transformer (dict): Config of the two-way transformer.
        embed_dims (int): Token / embedding channels (the transformer's).
            Defaults to 256.
        num_multimask_outputs (int): Candidates in multimask mode.
            Defaults to 3.
        iou_head_depth (int): Layers of the IoU head. Defaults to 3.
        iou_head_hidden_dims (int): Hidden channels of the IoU head.
            Defaults to 256.
        loss_focal_weight (float): Weight of the focal loss. Defaults to 20.
        loss_dice_weight (float): Weight of the dice loss. Defaults to 1.
        loss_iou_weight (float): Weight of the IoU MSE loss. Defaults to 1.
        focal_alpha (float): Focal loss alpha. Defaults to 0.25.
        focal_gamma (float): Focal loss gamma. Defaults to 2.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 transformer: ConfigType,
                 embed_dims: int = 256,
                 num_multimask_outputs: int = 3,
                 iou_head_depth: int = 3,
                 iou_head_hidden_dims: int = 256,
                 loss_focal_weight: float = 20.0,
                 loss_dice_weight: float = 1.0,
                 loss_iou_weight: float = 1.0,
                 focal_alpha: float = 0.25,
                 focal_gamma: float = 2.0,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % 8:
            raise ValueError(
                f'embed_dims must be a multiple of 8, got {embed_dims}')
        self.transformer = MODELS.build(transformer)
        if self.transformer.embed_dims != embed_dims:
            raise ValueError(
                f'transformer.embed_dims={self.transformer.embed_dims} must '
                f'equal embed_dims={embed_dims}')
        self.embed_dims = embed_dims
        self.num_multimask_outputs = num_multimask_outputs
        self.num_mask_tokens = num_multimask_outputs + 1

        self.iou_token = nn.Embedding(1, embed_dims)
        self.mask_tokens = nn.Embedding(self.num_mask_tokens, embed_dims)
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(
                embed_dims, embed_dims // 4, kernel_size=2, stride=2),
            LayerNorm2d(embed_dims // 4, eps=1e-6),
            nn.GELU(),
            nn.ConvTranspose2d(
                embed_dims // 4, embed_dims // 8, kernel_size=2, stride=2),
            nn.GELU(),
        )
        self.output_hypernetworks_mlps = nn.ModuleList(
            MLP(embed_dims, embed_dims, embed_dims // 8, 3)
            for _ in range(self.num_mask_tokens))
        self.iou_prediction_head = MLP(embed_dims, iou_head_hidden_dims,
                                       self.num_mask_tokens, iou_head_depth)

        self.loss_focal_weight = loss_focal_weight
        self.loss_dice_weight = loss_dice_weight
        self.loss_iou_weight = loss_iou_weight
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma

    def forward(self,
                image_embeddings: Tensor,
                image_pe: Tensor,
                sparse_embeddings: Tensor,
                dense_embeddings: Tensor,
                sparse_padding_mask: Optional[Tensor] = None,
                image_indices: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """Predict every mask token's mask and IoU for N prompt sets.

        Args:
            image_embeddings (Tensor): (B, C, h, w), one per image.
            image_pe (Tensor): (1, C, h, w) positional encoding of the grid.
            sparse_embeddings (Tensor): (N, T, C) prompt tokens.
            dense_embeddings (Tensor): (N, C, h, w) dense prompt embeddings.
            sparse_padding_mask (Tensor, optional): (N, T) bool, True for
                padding prompt tokens.
            image_indices (Tensor, optional): (N,) image of each prompt set;
                all image 0 when omitted. The embedding of an image is shared
                by all its prompt sets.

        Returns:
            tuple[Tensor, Tensor]: mask logits (N, num_mask_tokens, 4h, 4w)
            and IoU predictions (N, num_mask_tokens).
        """
        num_sets = sparse_embeddings.shape[0]
        output_tokens = torch.cat(
            [self.iou_token.weight, self.mask_tokens.weight])
        tokens = torch.cat(
            [output_tokens.expand(num_sets, -1, -1), sparse_embeddings], 1)
        token_padding_mask = None
        if sparse_padding_mask is not None and sparse_padding_mask.any():
            token_padding_mask = F.pad(
                sparse_padding_mask, (output_tokens.shape[0], 0), value=False)

        if image_indices is None:
            if image_embeddings.shape[0] != 1:
                raise ValueError(
                    'image_indices is required with more than one image '
                    f'embedding, got {image_embeddings.shape[0]}')
            src = image_embeddings + dense_embeddings
        else:
            src = image_embeddings[image_indices] + dense_embeddings
        b, c, h, w = src.shape
        hs, src = self.transformer(src, image_pe, tokens, token_padding_mask)
        iou_token_out = hs[:, 0]
        mask_tokens_out = hs[:, 1:1 + self.num_mask_tokens]

        upscaled = self.output_upscaling(
            src.transpose(1, 2).reshape(b, c, h, w))
        hyper_in = torch.stack([
            mlp(mask_tokens_out[:, i])
            for i, mlp in enumerate(self.output_hypernetworks_mlps)
        ], 1)
        b, c, h, w = upscaled.shape
        masks = (hyper_in @ upscaled.flatten(2)).view(
            b, self.num_mask_tokens, h, w)
        iou_pred = self.iou_prediction_head(iou_token_out)
        return masks, iou_pred

    def output_slice(self, multimask_output: bool) -> slice:
        """Candidates returned in multimask (1..) or single-mask (0) mode."""
        return slice(1, None) if multimask_output else slice(0, 1)

    def select_best(self, mask_logits: Tensor, iou_pred: Tensor,
                    multimask: Tensor) -> Tuple[Tensor, Tensor]:
        """Pick one mask per prompt set.

        Single-mask sets take token 0; multimask sets the candidate with the
        highest predicted IoU.

        Args:
            mask_logits (Tensor): (N, num_mask_tokens, H, W).
            iou_pred (Tensor): (N, num_mask_tokens).
            multimask (Tensor): (N,) bool, output mode of each set.

        Returns:
            tuple[Tensor, Tensor]: logits (N, H, W) and predicted IoU (N,).
        """
        best_multi = iou_pred[:, 1:].argmax(1) + 1
        index = torch.where(multimask, best_multi,
                            torch.zeros_like(best_multi))
        rows = torch.arange(mask_logits.shape[0], device=mask_logits.device)
        return mask_logits[rows, index], iou_pred[rows, index]

    def loss(self, mask_logits: Tensor, iou_pred: Tensor, gt_masks: Tensor,
             multimask: Tensor) -> Dict[str, Tensor]:
        """Losses of N prompt sets, averaged over the sets.

        Args:
            mask_logits (Tensor): (N, num_mask_tokens, H, W) low-res logits.
            iou_pred (Tensor): (N, num_mask_tokens) predicted IoU.
            gt_masks (Tensor): (N, H, W) binary targets at the same size.
            multimask (Tensor): (N,) bool: supervise the best of candidates
                1.. (True) or candidate 0 (False).

        Returns:
            dict[str, Tensor]: ``loss_focal``, ``loss_dice``, ``loss_iou``.
        """
        if mask_logits.shape[-2:] != gt_masks.shape[-2:]:
            raise ValueError(
                f'gt_masks {tuple(gt_masks.shape)} must match the mask '
                f'logits {tuple(mask_logits.shape)} spatially')
        targets = gt_masks.float()[:, None].expand_as(mask_logits)
        focal = sigmoid_focal_loss(mask_logits, targets, self.focal_alpha,
                                   self.focal_gamma)
        dice = dice_loss(mask_logits, targets)
        with torch.no_grad():
            iou_target = mask_iou(mask_logits > 0, targets)

        # Candidates each set is trained on: 1.. in multimask mode, 0 else.
        candidates = torch.zeros_like(iou_pred, dtype=torch.bool)
        candidates[:, 1:] = multimask[:, None]
        candidates[:, 0] = ~multimask
        mask_loss = (self.loss_focal_weight * focal +
                     self.loss_dice_weight * dice).detach()
        best = mask_loss.masked_fill(~candidates, float('inf')).argmin(1)
        rows = torch.arange(mask_logits.shape[0], device=mask_logits.device)

        iou_sq_err = (iou_pred - iou_target)**2
        iou_loss = (iou_sq_err * candidates).sum(1) / candidates.sum(1)
        return dict(
            loss_focal=self.loss_focal_weight * focal[rows, best].mean(),
            loss_dice=self.loss_dice_weight * dice[rows, best].mean(),
            loss_iou=self.loss_iou_weight * iou_loss.mean())
