"""UltraSam detector: SAM-style promptable segmentation in MMDetection."""
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import OptSampleList, SampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from ..structures import PromptType
from .interactive import PromptBatch, sample_corrective_clicks
from .prompt_encoder import PAD_LABEL

DEFAULT_TRAIN_CFG = dict(
    num_refine_rounds=2,
    multimask_output='auto',
    corrective_clicks=True,
    mask_only_rounds=1,
    max_instances_per_image=None)
DEFAULT_TEST_CFG = dict(
    num_refine_rounds=0,
    multimask_output='auto',
    corrective_clicks=False,
    mask_only_rounds=0,
    mask_threshold=0.0,
    instance_chunk_size=64)
# Instances whose masks are pooled to low resolution at once (bounds memory).
_GT_CHUNK = 16


@MODELS.register_module()
class UltraSam(BaseDetector):
    """Promptable segmentation: one mask per prompted instance.

    The image encoder runs once per image; every prompt set (instance) of the
    image decodes from that shared embedding. Prompts come from
    ``gt_instances`` (``point_coords``, ``point_labels``, ``prompt_boxes``,
    ``prompt_types``; see :mod:`ultrasam.structures.prompt_types`).

    Decoding runs ``1 + num_refine_rounds`` rounds: each refinement round
    feeds the low-res logits of the previous round's chosen mask back as the
    mask prompt (in training and at test alike). With ``corrective_clicks``
    each refinement round also adds one click sampled in the error region of
    the previous prediction (positive in a false negative, negative in a false
    positive), which needs ground-truth masks: on by default in training, an
    interactive-evaluation option at test. The last ``mask_only_rounds``
    refinement rounds add no click (SAM's recipe): by default training ends
    with the mask-only round that test-time refinement runs, so refinement at
    test is a case the model was trained on.

    Output mode (``multimask_output``): ``True`` uses the three multimask
    candidates, ``False`` the single-mask token, ``'auto'`` SAM's rule:
    multimask only for an ambiguous prompt (exactly one point, no box, no mask
    prompt). Training supervises the candidate with the lowest mask loss;
    prediction and refinement take the one with the highest predicted IoU.

    Losses are computed at the decoder's low resolution (4x the embedding
    size, 256 x 256 for a 1024 input) against ground-truth masks padded to the
    input size and area-pooled to that size (binarised at 0.5); they are
    averaged over instances and rounds. Predictions upsample the logits to the
    input size, crop the padding, resize to the original image size and only
    then threshold (at ``mask_threshold``), as segment-anything does.

    Args:
        backbone (dict): Image encoder config, e.g. ``mmpretrain.ViTSAM``.
        prompt_encoder (dict): :class:`SamPromptEncoder` config.
        mask_decoder (dict): :class:`SamMaskDecoder` config.
        train_cfg (dict, optional): ``num_refine_rounds`` (2),
            ``multimask_output`` ('auto'), ``corrective_clicks`` (True),
            ``mask_only_rounds`` (1), ``max_instances_per_image`` (None:
            all; else a random subset of that many instances per image is
            trained on, to bound memory).
        test_cfg (dict, optional): ``num_refine_rounds`` (0),
            ``multimask_output`` ('auto'), ``corrective_clicks`` (False),
            ``mask_only_rounds`` (0), ``mask_threshold`` (0.0),
            ``instance_chunk_size`` (64: instances decoded at once).
        data_preprocessor (dict, optional): ``DetDataPreprocessor`` config;
            it must pad the batch to the encoder's square input size.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 prompt_encoder: ConfigType,
                 mask_decoder: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.prompt_encoder = MODELS.build(prompt_encoder)
        self.mask_decoder = MODELS.build(mask_decoder)
        self.train_cfg = _merge_cfg('train_cfg', DEFAULT_TRAIN_CFG, train_cfg)
        self.test_cfg = _merge_cfg('test_cfg', DEFAULT_TEST_CFG, test_cfg)
        self._check_dims()

    def _check_dims(self) -> None:
        """Fail early when the three configs do not fit together."""
        dims = dict(
            backbone_out_channels=getattr(self.backbone, 'out_channels', None),
            prompt_encoder_embed_dims=self.prompt_encoder.embed_dims,
            mask_decoder_embed_dims=self.mask_decoder.embed_dims)
        if len({d for d in dims.values() if d is not None}) > 1:
            raise ValueError(f'embedding channels disagree: {dims}')
        sizes = dict(
            backbone_img_size=getattr(self.backbone, 'img_size', None),
            prompt_encoder_input_image_size=(
                self.prompt_encoder.input_image_size))
        if sizes['backbone_img_size'] is not None and \
                tuple(sizes['backbone_img_size']) != \
                tuple(sizes['prompt_encoder_input_image_size']):
            raise ValueError(f'input sizes disagree: {sizes}')
        grid = getattr(self.backbone, 'patch_resolution', None)
        if grid is not None and tuple(grid) != \
                self.prompt_encoder.image_embedding_size:
            raise ValueError(
                f'backbone patch grid {tuple(grid)} != prompt_encoder '
                'image_embedding_size '
                f'{self.prompt_encoder.image_embedding_size}')

    @property
    def input_size(self) -> Tuple[int, int]:
        """(H, W) of the padded encoder input."""
        return self.prompt_encoder.input_image_size

    @property
    def low_res_size(self) -> Tuple[int, int]:
        """(h, w) of the decoder's mask logits."""
        return self.prompt_encoder.mask_input_size

    def extract_feat(self, batch_inputs: Tensor) -> Tensor:
        """Image embeddings (B, C, h, w) of normalised, padded images."""
        if tuple(batch_inputs.shape[-2:]) != self.input_size:
            raise ValueError(
                f'inputs are {tuple(batch_inputs.shape[-2:])} but the model '
                f'expects {self.input_size}: resize the longest side to '
                f'{max(self.input_size)} and pad with the data preprocessor '
                f'(pad_size_divisor={max(self.input_size)})')
        return self.backbone(batch_inputs)[-1]

    # ------------------------------------------------------------------
    # Decoding
    # ------------------------------------------------------------------
    def decode(self,
               image_embeddings: Tensor,
               prompts: PromptBatch,
               mask_inputs: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """One decoder pass for all prompt sets.

        Args:
            image_embeddings (Tensor): (B, C, h, w).
            prompts (PromptBatch): N prompt sets over the B images.
            mask_inputs (Tensor, optional): (N, 1, 4h, 4w) mask logits.

        Returns:
            tuple[Tensor, Tensor]: logits of every mask token
            (N, num_mask_tokens, 4h, 4w) and their predicted IoU.
        """
        sparse, sparse_padding, dense = self.prompt_encoder(
            prompts.point_coords, prompts.point_labels, prompts.boxes,
            prompts.box_valid, mask_inputs)
        return self.mask_decoder(
            image_embeddings,
            self.prompt_encoder.get_dense_pe(),
            sparse,
            dense,
            sparse_padding_mask=sparse_padding,
            image_indices=prompts.image_indices)

    def _multimask_flags(self, mode: Union[bool, str], prompts: PromptBatch,
                         with_mask_input: bool) -> Tensor:
        """(N,) bool: which prompt sets use the multimask candidates."""
        n = len(prompts)
        device = prompts.point_labels.device
        if mode == 'auto':
            if with_mask_input:
                return torch.zeros(n, dtype=torch.bool, device=device)
            single_point = (prompts.point_labels != PAD_LABEL).sum(1) == 1
            return single_point & ~prompts.has_box()
        return torch.full((n, ), bool(mode), dtype=torch.bool, device=device)

    def _run_rounds(
        self,
        image_embeddings: Tensor,
        prompts: PromptBatch,
        cfg: dict,
        gt_masks: Optional[Tensor] = None,
        valid: Optional[Tensor] = None,
        with_loss: bool = False
    ) -> Tuple[Tensor, Tensor, List[Dict[str, Tensor]]]:
        """Decode, then refine ``cfg['num_refine_rounds']`` times.

        Args:
            image_embeddings (Tensor): (B, C, h, w).
            prompts (PromptBatch): N prompt sets.
            cfg (dict): train_cfg or test_cfg.
            gt_masks (Tensor, optional): (N, 4h, 4w) bool targets; needed
                for the loss and for corrective clicks.
            valid (Tensor, optional): (N, 4h, 4w) bool, cells inside the
                image (clicks are only placed there).
            with_loss (bool): Compute the loss of every round.

        Returns:
            tuple: chosen logits (N, 4h, 4w) and predicted IoU (N,) of the
            last round, and the per-round loss dicts.
        """
        mask_inputs = None
        losses = []
        # Refinement rounds 1..clicked_rounds get a click, the rest only a mask.
        clicked_rounds = cfg['num_refine_rounds'] - cfg['mask_only_rounds']
        for round_idx in range(cfg['num_refine_rounds'] + 1):
            logits, iou_pred = self.decode(image_embeddings, prompts,
                                           mask_inputs)
            multimask = self._multimask_flags(cfg['multimask_output'],
                                              prompts, mask_inputs is not None)
            if with_loss:
                losses.append(
                    self.mask_decoder.loss(logits, iou_pred, gt_masks,
                                           multimask))
            best_logits, best_iou = self.mask_decoder.select_best(
                logits, iou_pred, multimask)
            if round_idx == cfg['num_refine_rounds']:
                break
            # Feed back un-thresholded logits, without backpropagating
            # through the previous round (SAM's interactive training).
            mask_inputs = best_logits.detach()[:, None]
            if cfg['corrective_clicks'] and round_idx < clicked_rounds:
                coords, labels = sample_corrective_clicks(
                    mask_inputs[:, 0] > 0, gt_masks, valid, self.input_size)
                prompts = prompts.with_points(coords, labels)
        return best_logits, best_iou, losses

    # ------------------------------------------------------------------
    # Inputs from data samples
    # ------------------------------------------------------------------
    def _collect_prompts(self,
                         batch_data_samples: SampleList,
                         keep: Optional[List[Tensor]] = None) -> PromptBatch:
        """Gather and pad the prompts of all instances of the batch."""
        device = self.prompt_encoder.no_mask_embed.weight.device
        coords, labels, boxes, box_valid, image_indices = [], [], [], [], []
        for i, sample in enumerate(batch_data_samples):
            gt = sample.gt_instances
            if keep is not None:
                gt = gt[keep[i]]
            n = len(gt)
            if 'point_coords' in gt and n > 0:
                c = torch.as_tensor(gt.point_coords, device=device).float()
                lab = torch.as_tensor(gt.point_labels, device=device).long()
                if c.dim() != 3 or c.shape[-1] != 2 or \
                        lab.shape != c.shape[:2]:
                    raise ValueError(
                        f'image {i}: point_coords must be (N, K, 2) and '
                        'point_labels (N, K), got '
                        f'{tuple(c.shape)} and {tuple(lab.shape)}')
            else:
                c = torch.zeros(n, 0, 2, device=device)
                lab = torch.zeros(n, 0, dtype=torch.long, device=device)
            coords.append(c)
            labels.append(lab)
            if 'prompt_boxes' in gt:
                b = torch.as_tensor(gt.prompt_boxes, device=device).float()
                b = b.reshape(n, 4)
                if 'prompt_types' in gt:
                    types = torch.as_tensor(gt.prompt_types, device=device)
                    v = (types == PromptType.BOX) | \
                        (types == PromptType.POINT_AND_BOX)
                else:
                    v = torch.ones(n, dtype=torch.bool, device=device)
            else:
                b = torch.zeros(n, 4, device=device)
                v = torch.zeros(n, dtype=torch.bool, device=device)
            boxes.append(b)
            box_valid.append(v)
            image_indices.append(torch.full((n, ), i, device=device))

        max_k = max(c.shape[1] for c in coords)
        coords = torch.cat([F.pad(c, (0, 0, 0, max_k - c.shape[1]))
                            for c in coords])
        labels = torch.cat([F.pad(lab, (0, max_k - lab.shape[1]), value=-1)
                            for lab in labels])
        boxes = torch.cat(boxes)
        box_valid = torch.cat(box_valid)
        if not box_valid.any():
            boxes, box_valid = None, None
        elif box_valid.all():
            box_valid = None
        return PromptBatch(coords, labels, boxes, box_valid,
                           torch.cat(image_indices).long())

    def _collect_gt_masks(self,
                          batch_data_samples: SampleList,
                          keep: Optional[List[Tensor]] = None) -> Tensor:
        """Ground-truth masks of all instances at the low resolution, bool."""
        device = self.prompt_encoder.no_mask_embed.weight.device
        in_h, in_w = self.input_size
        out = []
        for i, sample in enumerate(batch_data_samples):
            gt = sample.gt_instances
            if 'masks' not in gt:
                raise KeyError(f'image {i}: gt_instances has no masks')
            masks = gt.masks
            masks = masks.to_ndarray() if hasattr(masks, 'to_ndarray') \
                else masks
            masks = torch.as_tensor(np.asarray(masks) if not isinstance(
                masks, Tensor) else masks)
            if keep is not None:
                masks = masks[keep[i].cpu()]
            h, w = masks.shape[-2:]
            if h > in_h or w > in_w:
                raise ValueError(
                    f'image {i}: gt masks are {h}x{w}, larger than the '
                    f'input {in_h}x{in_w}; they must be at img_shape or the '
                    'padded size')
            for chunk in masks.split(_GT_CHUNK):
                chunk = F.pad(chunk.to(device).float(),
                              (0, in_w - w, 0, in_h - h))
                pooled = F.adaptive_avg_pool2d(chunk, self.low_res_size)
                out.append(pooled >= 0.5)
        if not out:
            return torch.zeros(0, *self.low_res_size, dtype=torch.bool,
                               device=device)
        return torch.cat(out)

    def _valid_cells(self, batch_data_samples: SampleList,
                     image_indices: Tensor) -> Tensor:
        """(N, h, w) bool: low-res cells entirely inside each instance's image.

        Clicks are placed anywhere in their cell, so a cell that straddles the
        image border could put one in the padding.
        """
        lh, lw = self.low_res_size
        in_h, in_w = self.input_size
        per_image = []
        for sample in batch_data_samples:
            h, w = _content_shape(sample.metainfo, self.input_size)
            cells = torch.zeros(lh, lw, dtype=torch.bool)
            cells[:h * lh // in_h, :w * lw // in_w] = True
            per_image.append(cells)
        per_image = torch.stack(per_image).to(image_indices.device)
        return per_image[image_indices]

    def _train_subset(
            self,
            batch_data_samples: SampleList) -> Optional[List[Tensor]]:
        """Random instance subset per image if max_instances_per_image."""
        limit = self.train_cfg['max_instances_per_image']
        if limit is None:
            return None
        return [
            torch.randperm(len(s.gt_instances))[:limit].sort().values
            for s in batch_data_samples
        ]

    # ------------------------------------------------------------------
    # BaseDetector API
    # ------------------------------------------------------------------
    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of a batch, averaged over instances and rounds.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) normalised, padded images.
            batch_data_samples (list[DetDataSample]): With ``gt_instances``
                holding prompts and ``masks``.

        Returns:
            dict[str, Tensor]: ``loss_focal``, ``loss_dice``, ``loss_iou``.
        """
        image_embeddings = self.extract_feat(batch_inputs)
        keep = self._train_subset(batch_data_samples)
        prompts = self._collect_prompts(batch_data_samples, keep)
        if len(prompts) == 0:
            # Zero, but connected to the graph so that every replica of a
            # distributed run still takes part in the backward pass.
            zero = image_embeddings.sum() * 0 + sum(
                p.sum() for p in self.mask_decoder.parameters()) * 0 + sum(
                    p.sum() for p in self.prompt_encoder.parameters()) * 0
            return dict(loss_focal=zero, loss_dice=zero, loss_iou=zero)
        gt_masks = self._collect_gt_masks(batch_data_samples, keep)
        if gt_masks.shape[0] != len(prompts):
            raise ValueError(f'{gt_masks.shape[0]} gt masks for '
                             f'{len(prompts)} prompted instances')
        valid = self._valid_cells(batch_data_samples, prompts.image_indices)
        _, _, losses = self._run_rounds(
            image_embeddings,
            prompts,
            self.train_cfg,
            gt_masks=gt_masks,
            valid=valid,
            with_loss=True)
        return {
            name: torch.stack([r[name] for r in losses]).mean()
            for name in losses[0]
        }

    def _predict_logits(self, image_embeddings: Tensor,
                        batch_data_samples: SampleList
                        ) -> Tuple[Tensor, Tensor, PromptBatch]:
        """Final low-res logits (N, h, w) and scores (N,) with test_cfg."""
        cfg = self.test_cfg
        prompts = self._collect_prompts(batch_data_samples)
        gt_masks = valid = None
        if len(prompts) == 0:
            empty = image_embeddings.new_zeros(0, *self.low_res_size)
            return empty, image_embeddings.new_zeros(0), prompts
        if cfg['corrective_clicks'] and cfg['num_refine_rounds'] > 0:
            gt_masks = self._collect_gt_masks(batch_data_samples)
            valid = self._valid_cells(batch_data_samples,
                                      prompts.image_indices)
        logits, scores = [], []
        for index in torch.arange(len(prompts), device=prompts.image_indices.
                                  device).split(cfg['instance_chunk_size']):
            chunk_logits, chunk_scores, _ = self._run_rounds(
                image_embeddings, prompts.subset(index), cfg,
                None if gt_masks is None else gt_masks[index],
                None if valid is None else valid[index])
            logits.append(chunk_logits)
            scores.append(chunk_scores)
        return torch.cat(logits), torch.cat(scores), prompts

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Predict one mask per prompted instance.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) normalised, padded images.
            batch_data_samples (list[DetDataSample]): With prompts in
                ``gt_instances``.
            rescale (bool): Masks at the original image size (True) or at
                the resized ``img_shape`` (False).

        Returns:
            list[DetDataSample]: ``pred_instances`` with ``masks`` (N, H, W)
            bool, ``scores`` (N,) predicted IoU, ``bboxes`` (N, 4) from the
            masks, ``labels`` and ``prompt_types`` copied from the prompts.
        """
        image_embeddings = self.extract_feat(batch_inputs)
        logits, scores, prompts = self._predict_logits(image_embeddings,
                                                       batch_data_samples)
        results = []
        for i, sample in enumerate(batch_data_samples):
            in_image = prompts.image_indices == i
            gt = sample.gt_instances
            masks = self.postprocess_masks(logits[in_image],
                                           sample.metainfo, rescale)
            result = InstanceData()
            result.masks = masks
            result.scores = scores[in_image]
            result.bboxes = mask2bbox(masks).to(scores.device) if len(
                masks) else scores.new_zeros(0, 4)
            result.labels = torch.as_tensor(
                gt.labels, device=scores.device).long() if 'labels' in gt \
                else torch.zeros(len(masks), dtype=torch.long,
                                 device=scores.device)
            if 'prompt_types' in gt:
                result.prompt_types = torch.as_tensor(
                    gt.prompt_types, device=scores.device).long()
            results.append(result)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def postprocess_masks(self, logits: Tensor, img_meta: dict,
                          rescale: bool = True) -> Tensor:
        """Upsample low-res logits, remove padding, resize, then threshold.

        Args:
            logits (Tensor): (N, h, w) low-res logits.
            img_meta (dict): With ``img_shape`` and ``ori_shape`` (and
                ``scale_factor`` when a ``Pad`` transform enlarged
                ``img_shape``).
            rescale (bool): Resize to ``ori_shape`` (else keep the resized,
                unpadded image size).

        Returns:
            Tensor: (N, H, W) bool masks.
        """
        img_h, img_w = _content_shape(img_meta, self.input_size)
        out_h, out_w = img_meta['ori_shape'][:2] if rescale else (img_h,
                                                                  img_w)
        masks = []
        # Chunks keep the full-size float maps of many instances in check.
        for chunk in logits.split(_GT_CHUNK):
            up = F.interpolate(
                chunk[:, None],
                self.input_size,
                mode='bilinear',
                align_corners=False)[..., :img_h, :img_w]
            if (out_h, out_w) != (img_h, img_w):
                up = F.interpolate(
                    up, (out_h, out_w), mode='bilinear', align_corners=False)
            masks.append(up[:, 0] > self.test_cfg['mask_threshold'])
        if not masks:
            return torch.zeros(
                0, out_h, out_w, dtype=torch.bool, device=logits.device)
        return torch.cat(masks)

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: OptSampleList = None) -> Tuple[Tensor]:
        """Raw network outputs.

        Returns:
            tuple[Tensor]: ``(image_embeddings,)`` without data samples, else
            ``(low_res_logits (N, h, w), iou_predictions (N,))`` of all
            prompted instances of the batch, with the test-time rounds.
        """
        image_embeddings = self.extract_feat(batch_inputs)
        if batch_data_samples is None:
            return (image_embeddings, )
        logits, scores, _ = self._predict_logits(image_embeddings,
                                                 batch_data_samples)
        return logits, scores


def _content_shape(img_meta: dict,
                   default: Tuple[int, int]) -> Tuple[int, int]:
    """(h, w) of the resized image inside the model input, without padding.

    mmdet's ``Pad`` transform sets ``img_shape`` to the padded size, so the
    resized size ``ori_shape x scale_factor`` bounds it too (a crop after the
    resize makes ``img_shape`` the smaller one).
    """
    h, w = img_meta.get('img_shape', default)[:2]
    if 'ori_shape' in img_meta and 'scale_factor' in img_meta:
        ori_h, ori_w = img_meta['ori_shape'][:2]
        scale_w, scale_h = img_meta['scale_factor'][:2]
        h = min(h, int(round(ori_h * scale_h)))
        w = min(w, int(round(ori_w * scale_w)))
    return h, w


def _merge_cfg(name: str, defaults: dict, cfg: OptConfigType) -> dict:
    """``defaults`` updated by ``cfg``; unknown keys are an error."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(defaults)
    if unknown:
        raise KeyError(f'unknown {name} keys {sorted(unknown)}; valid keys: '
                       f'{sorted(defaults)}')
    merged = {**defaults, **cfg}
    if merged['multimask_output'] not in (True, False, 'auto'):
        raise ValueError(f"{name}.multimask_output must be True, False or "
                         f"'auto', got {merged['multimask_output']!r}")
    for key in ('num_refine_rounds', 'mask_only_rounds'):
        if merged[key] < 0:
            raise ValueError(f'{name}.{key} must be >= 0, got {merged[key]}')
    return merged
