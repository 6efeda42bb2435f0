"""UltraSam detector: SAM-style promptable segmentation in MMDetection."""
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import OptSampleList, SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from .utils import (DEFAULT_TEST_CFG, DEFAULT_TRAIN_CFG, ClickTargets,
                    PromptBatch, check_components_fit, instance_results,
                    merge_rounds_cfg, random_instance_subset,
                    sample_corrective_clicks)


@MODELS.register_module()
class UltraSam(BaseDetector):
    """Promptable segmentation: one mask per prompted instance.

    The image encoder runs once per image; every prompt set (instance) of the
    image decodes from that shared embedding. Prompts come from
    ``gt_instances`` (``point_coords``, ``point_labels``, ``prompt_boxes``,
    ``prompt_types``; see :mod:`ultrasam.structures.prompt_types`).

    Decoding runs ``1 + num_refine_rounds`` rounds; each refinement round
    feeds the previous round's chosen low-res logits back as the mask prompt
    (in training and at test alike), and with ``corrective_clicks`` adds one
    click from the error region (:func:`sample_corrective_clicks`), except in
    the last ``mask_only_rounds`` rounds (SAM's recipe: training ends with the
    mask-only round that test-time refinement runs). ``multimask_output``:
    ``True`` / ``False`` / ``'auto'`` (multimask for a single point only).
    Training supervises the min-loss candidate
    (:meth:`SamMaskDecoder.loss`, at the decoder's low resolution, averaged
    over instances and rounds); prediction and refinement take the candidate
    with the highest predicted IoU, and masks are thresholded only after
    upsampling (:meth:`SamMaskDecoder.predict_by_feat`).

    Args:
        backbone (dict): Image encoder config, e.g. ``mmpretrain.ViTSAM``.
        prompt_encoder (dict): :class:`SamPromptEncoder` config.
        mask_decoder (dict): :class:`SamMaskDecoder` config.
        train_cfg (dict, optional): Overrides of ``DEFAULT_TRAIN_CFG``
            (:mod:`ultrasam.models.utils.rounds_cfg`, where every key is
            described).
        test_cfg (dict, optional): Overrides of ``DEFAULT_TEST_CFG``.
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
        self.train_cfg = merge_rounds_cfg('train_cfg', DEFAULT_TRAIN_CFG, train_cfg)
        self.test_cfg = merge_rounds_cfg('test_cfg', DEFAULT_TEST_CFG, test_cfg)
        check_components_fit(self.backbone, self.prompt_encoder,
                             self.mask_decoder)

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

    def _run_rounds(
        self,
        image_embeddings: Tensor,
        prompts: PromptBatch,
        cfg: dict,
        targets: Optional[ClickTargets] = None,
        with_loss: bool = False
    ) -> Tuple[Tensor, Tensor, List[Dict[str, Tensor]]]:
        """Decode, then refine ``cfg['num_refine_rounds']`` times.

        Args:
            image_embeddings (Tensor): (B, C, h, w).
            prompts (PromptBatch): N prompt sets.
            cfg (dict): train_cfg or test_cfg.
            targets (ClickTargets, optional): Ground truth of the N sets;
                needed for the loss and for corrective clicks.
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
            multimask = prompts.multimask_flags(cfg['multimask_output'],
                                                mask_inputs is not None)
            if with_loss:
                losses.append(
                    self.mask_decoder.loss(logits, iou_pred, targets.low_res,
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
                    mask_inputs[:, 0] > 0, targets.low_res, targets.valid,
                    targets.full_res)
                prompts = prompts.with_points(coords, labels)
        return best_logits, best_iou, losses

    @property
    def device(self) -> torch.device:
        """Device of the model's parameters."""
        return self.prompt_encoder.no_mask_embed.weight.device

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
        keep = random_instance_subset(
            batch_data_samples, self.train_cfg['max_instances_per_image'])
        prompts = PromptBatch.from_data_samples(batch_data_samples,
                                                self.device, keep)
        if len(prompts) == 0:
            # Zero, but connected to the graph so that every replica of a
            # distributed run still takes part in the backward pass.
            zero = sum(p.sum() for p in self.parameters()) * 0 + \
                image_embeddings.sum() * 0
            return dict(loss_focal=zero, loss_dice=zero, loss_iou=zero)
        targets = ClickTargets.from_data_samples(
            batch_data_samples, prompts.image_indices, self.input_size,
            self.low_res_size, keep)
        _, _, losses = self._run_rounds(
            image_embeddings, prompts, self.train_cfg, targets, with_loss=True)
        return {
            name: torch.stack([r[name] for r in losses]).mean()
            for name in losses[0]
        }

    def _predict_logits(self, image_embeddings: Tensor,
                        batch_data_samples: SampleList
                        ) -> Tuple[Tensor, Tensor, PromptBatch]:
        """Final low-res logits (N, h, w) and scores (N,) with test_cfg."""
        cfg = self.test_cfg
        prompts = PromptBatch.from_data_samples(batch_data_samples,
                                                self.device)
        if len(prompts) == 0:
            empty = image_embeddings.new_zeros(0, *self.low_res_size)
            return empty, image_embeddings.new_zeros(0), prompts
        targets = None
        if cfg['corrective_clicks'] and cfg['num_refine_rounds'] > 0:
            targets = ClickTargets.from_data_samples(
                batch_data_samples, prompts.image_indices, self.input_size,
                self.low_res_size)
        logits, scores = [], []
        for index in torch.arange(
                len(prompts),
                device=prompts.image_indices.device).split(
                    cfg['instance_chunk_size']):
            chunk_logits, chunk_scores, _ = self._run_rounds(
                image_embeddings, prompts.subset(index), cfg,
                None if targets is None else targets.subset(index))
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
            masks = self.mask_decoder.predict_by_feat(
                logits[in_image], sample.metainfo, self.input_size,
                self.test_cfg['mask_threshold'], rescale)
            results.append(
                instance_results(masks, scores[in_image], sample.gt_instances))
        return self.add_pred_to_datasample(batch_data_samples, results)

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
