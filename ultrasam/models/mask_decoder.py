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
from .utils import content_shape

# Instances upsampled to full size at once in predict_by_feat (bounds memory).
UPSAMPLE_CHUNK_SIZE = 16


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
    (256 x 256 for a 1024 input): focal + dice on the selected candidate and
    the IoU-prediction MSE on every candidate of the output mode, each mask
    weighing the same. In multimask mode the candidate with the smallest
    weighted focal + dice is supervised (SAM recipe).

    Args:
        transformer (dict): Config of the two-way transformer.
        embed_dims (int): Token / embedding channels (the transformer's).
            Defaults to 256.
        num_multimask_outputs (int): Candidates in multimask mode.
            Defaults to 3.
        iou_head_depth (int): Layers of the IoU head. Defaults to 3.
        iou_head_hidden_dims (int): Hidden channels of the IoU head.
            Defaults to 256.
        loss_focal (dict): Per-mask focal loss. Defaults to
            ``SamFocalLoss`` (alpha 0.25, gamma 2, weight 20).
        loss_dice (dict): Per-mask Dice loss. Defaults to ``SamDiceLoss``
            (weight 1).
        loss_iou (dict): IoU-prediction loss. Defaults to ``SamIoULoss``
            (weight 1).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 transformer: ConfigType,
                 embed_dims: int = 256,
                 num_multimask_outputs: int = 3,
                 iou_head_depth: int = 3,
                 iou_head_hidden_dims: int = 256,
                 loss_focal: ConfigType = dict(type='SamFocalLoss'),
                 loss_dice: ConfigType = dict(type='SamDiceLoss'),
                 loss_iou: ConfigType = dict(type='SamIoULoss'),
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

        self.loss_focal = MODELS.build(loss_focal)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_iou = MODELS.build(loss_iou)

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
        # Candidates each set is trained on: 1.. in multimask mode, 0 else.
        candidates = torch.zeros_like(iou_pred, dtype=torch.bool)
        candidates[:, 1:] = multimask[:, None]
        candidates[:, 0] = ~multimask
        with torch.no_grad():
            mask_loss = self.loss_focal(
                mask_logits, targets, reduction_override='none') + \
                self.loss_dice(mask_logits, targets, reduction_override='none')
            best = mask_loss.masked_fill(~candidates, float('inf')).argmin(1)
        rows = torch.arange(mask_logits.shape[0], device=mask_logits.device)
        best_logits = mask_logits[rows, best]
        best_targets = gt_masks.float()
        return dict(
            loss_focal=self.loss_focal(best_logits, best_targets),
            loss_dice=self.loss_dice(best_logits, best_targets),
            loss_iou=self.loss_iou(iou_pred, mask_logits, targets,
                                   candidates))

    def upscale_logits(self, logits: Tensor, input_size: Tuple[int, int],
                       content_size: Tuple[int, int],
                       out_size: Tuple[int, int]) -> Tensor:
        """Low-res logits to logits of the image, before any threshold.

        Upsample to the padded input, crop the padding, resize to
        ``out_size`` (bilinear, as segment-anything); thresholding after
        upsampling keeps masks from dilating.

        Args:
            logits (Tensor): (N, h, w) low-res logits.
            input_size (tuple[int, int]): (H, W) of the padded model input.
            content_size (tuple[int, int]): (h, w) of the image inside it.
            out_size (tuple[int, int]): (H, W) of the output.

        Returns:
            Tensor: (N, H_out, W_out) logits.
        """
        up = F.interpolate(
            logits[:, None], input_size, mode='bilinear',
            align_corners=False)[..., :content_size[0], :content_size[1]]
        if tuple(out_size) != tuple(content_size):
            up = F.interpolate(
                up, tuple(out_size), mode='bilinear', align_corners=False)
        return up[:, 0]

    def predict_by_feat(self,
                        logits: Tensor,
                        img_meta: dict,
                        input_size: Tuple[int, int],
                        mask_threshold: float = 0.0,
                        rescale: bool = True) -> Tensor:
        """Binary masks of one image from its instances' low-res logits.

        Args:
            logits (Tensor): (N, h, w) low-res logits of the image.
            img_meta (dict): With ``img_shape`` and ``ori_shape`` (and
                ``scale_factor`` when a ``Pad`` transform enlarged
                ``img_shape``).
            input_size (tuple[int, int]): (H, W) of the padded model input.
            mask_threshold (float): Logit threshold. Defaults to 0.
            rescale (bool): Masks at ``ori_shape`` (True) or at the resized,
                unpadded image size.

        Returns:
            Tensor: (N, H, W) bool masks.
        """
        content = content_shape(img_meta, input_size)
        out_size = tuple(img_meta['ori_shape'][:2]) if rescale else content
        # Chunks keep the full-size float maps of many instances in check.
        masks = [
            self.upscale_logits(chunk, input_size, content, out_size) >
            mask_threshold for chunk in logits.split(UPSAMPLE_CHUNK_SIZE)
        ]
        if not masks:
            return torch.zeros(
                0, *out_size, dtype=torch.bool, device=logits.device)
        return torch.cat(masks)
