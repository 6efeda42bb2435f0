"""Prompted inference on single images, without ground truth."""
from pathlib import Path
from typing import Optional, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmdet.registry import MODELS
from ..datasets.image_io import to_uint8
from ..models import UltraSam

ArrayOrNone = Optional[np.ndarray]


class UltraSamPredictor:
    """segment-anything's ``SamPredictor`` interface for an UltraSam model.

    Call :meth:`set_image` once per image (the image encoder runs there),
    then :meth:`predict` / :meth:`predict_batch` for any number of prompts.
    Coordinates are (x, y) pixels of the original image; boxes are
    x1, y1, x2, y2 of the first / last column and row. Point labels: 1
    positive, 0 negative, -1 padding (ignored; lets point sets of different
    sizes share one :meth:`predict_batch` call). Unlike here, ``SamPredictor``
    feeds -1 points to the decoder as "not a point" tokens; both add SAM's
    padding point themselves when there is no box.

    Images are resized so that the longest side is the model's input size
    (bilinear, as in the training pipeline), normalised with the model's data
    preprocessor and zero-padded to a square. uint16 images (e.g. DICOM) are
    first stretched linearly from their own min / max to 0..255 and rounded,
    as :func:`ultrasam.datasets.image_io.to_uint8` does in the data pipeline.

    Args:
        model (UltraSam): The model; put in eval mode.
    """

    def __init__(self, model: UltraSam) -> None:
        if not isinstance(model, UltraSam):
            raise TypeError(
                f'model must be an UltraSam model, got {type(model).__name__}')
        self.model = model.eval()
        self.reset_image()

    @classmethod
    def from_config(cls,
                    config: Union[str, Path, Config],
                    checkpoint: Optional[Union[str, Path]] = None,
                    device: Union[str, torch.device] = 'cpu'
                    ) -> 'UltraSamPredictor':
        """Build the model of a config and load its weights.

        Args:
            config (str | Path | Config): Config file or object with a
                ``model`` entry.
            checkpoint (str | Path, optional): Checkpoint to load strictly;
                None keeps random weights.
            device (str | torch.device): Device to run on. Defaults to 'cpu'.

        Returns:
            UltraSamPredictor: predictor on ``device``.
        """
        if not isinstance(config, Config):
            config = Config.fromfile(str(config))
        if 'model' not in config:
            raise KeyError(f'config {config.filename} has no model entry')
        init_default_scope(config.get('default_scope', 'mmdet'))
        model = MODELS.build(config.model)
        if checkpoint is not None:
            load_checkpoint(
                model, str(checkpoint), map_location='cpu', strict=True)
        return cls(model.to(device))

    @property
    def device(self) -> torch.device:
        """Device of the model."""
        return next(self.model.parameters()).device

    def reset_image(self) -> None:
        """Forget the current image and its embedding."""
        self.features = None
        self.original_size = None
        self.input_size = None

    def _to_float_rgb(self, image: np.ndarray) -> np.ndarray:
        """Validate an image and return it as float32 H x W x 3 in 0..255."""
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[..., 0]
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('image must be H x W x 3 (RGB) or H x W '
                             f'(grayscale), got shape {image.shape}')
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise ValueError(f'image is empty, shape {image.shape}')
        if image.dtype not in (np.uint8, np.uint16):
            raise TypeError(
                f'image dtype must be uint8 or uint16, got {image.dtype}')
        # Same min-max mapping (and uint8 rounding) as the data pipeline.
        return to_uint8(image, 'minmax').astype(np.float32)

    @torch.no_grad()
    def set_image(self, image: np.ndarray) -> None:
        """Compute the embedding of ``image``.

        Args:
            image (np.ndarray): H x W x 3 RGB or H x W grayscale, uint8 or
                uint16.
        """
        rgb = self._to_float_rgb(image)
        h, w = rgb.shape[:2]
        target = max(self.model.input_size)
        scale = target / max(h, w)
        new_h, new_w = int(h * scale + 0.5), int(w * scale + 0.5)
        if (new_h, new_w) != (h, w):
            rgb = cv2.resize(
                rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        preprocessor = self.model.data_preprocessor
        x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)
        x = x.to(self.device)
        if not getattr(preprocessor, '_channel_conversion', True):
            # The model was trained on BGR-ordered inputs.
            x = x.flip(0)
        if getattr(preprocessor, '_enable_normalize', False):
            x = (x - preprocessor.mean) / preprocessor.std
        pad_h, pad_w = self.model.input_size
        x = F.pad(x, (0, pad_w - new_w, 0, pad_h - new_h))
        self.features = self.model.extract_feat(x[None])
        self.original_size = (h, w)
        self.input_size = (new_h, new_w)

    def _check_image_set(self) -> None:
        if self.features is None:
            raise RuntimeError(
                'no image set: call set_image(image) before predict')

    def _to_input_frame(self, coords: np.ndarray) -> np.ndarray:
        """Scale (..., 2) original-image coordinates to the resized frame."""
        old_h, old_w = self.original_size
        new_h, new_w = self.input_size
        coords = coords.astype(np.float64).copy()
        coords[..., 0] *= new_w / old_w
        coords[..., 1] *= new_h / old_h
        return coords

    def predict(self,
                point_coords: ArrayOrNone = None,
                point_labels: ArrayOrNone = None,
                box: ArrayOrNone = None,
                mask_input: ArrayOrNone = None,
                multimask_output: bool = True,
                return_logits: bool = False
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predict masks for one prompt set on the current image.

        Args:
            point_coords (np.ndarray, optional): (K, 2) points (x, y).
            point_labels (np.ndarray, optional): (K,) labels, 1 / 0 / -1.
            box (np.ndarray, optional): (4,) or (1, 4) box x1, y1, x2, y2.
            mask_input (np.ndarray, optional): (1, h, w) low-res logits, e.g.
                from a previous call (h = w = 256 for a 1024 model).
            multimask_output (bool): Three candidates (True) or one mask.
            return_logits (bool): Return logits instead of boolean masks.

        Returns:
            tuple[np.ndarray, np.ndarray, np.ndarray]: masks (C, H, W),
            IoU predictions (C,) and low-res logits (C, h, w), with C = 3 in
            multimask mode and 1 otherwise.
        """
        self._check_image_set()
        if point_coords is not None:
            point_coords = np.asarray(point_coords)
            if point_coords.ndim != 2 or point_coords.shape[-1] != 2:
                raise ValueError('point_coords must be (K, 2), got shape '
                                 f'{point_coords.shape}')
            point_coords = point_coords[None]
        if point_labels is not None:
            point_labels = np.asarray(point_labels)
            if point_labels.ndim != 1:
                raise ValueError('point_labels must be (K,), got shape '
                                 f'{point_labels.shape}')
            point_labels = point_labels[None]
        if box is not None:
            box = np.asarray(box)
            if box.size != 4:
                raise ValueError(
                    f'box must be (4,) or (1, 4), got shape {box.shape}')
            box = box.reshape(1, 4)
        if mask_input is not None:
            mask_input = np.asarray(mask_input)
            if mask_input.ndim != 3 or mask_input.shape[0] != 1:
                raise ValueError(
                    'mask_input must be (1, h, w) low-res logits, got shape '
                    f'{mask_input.shape}')
            mask_input = mask_input[None]
        masks, iou, low_res = self.predict_batch(
            point_coords, point_labels, box, mask_input, multimask_output,
            return_logits)
        return masks[0], iou[0], low_res[0]

    @torch.no_grad()
    def predict_batch(self,
                      point_coords: ArrayOrNone = None,
                      point_labels: ArrayOrNone = None,
                      boxes: ArrayOrNone = None,
                      mask_input: ArrayOrNone = None,
                      multimask_output: bool = True,
                      return_logits: bool = False
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predict masks for B prompt sets on the current image at once.

        Args:
            point_coords (np.ndarray, optional): (B, K, 2) points (x, y).
            point_labels (np.ndarray, optional): (B, K) labels; -1 pads sets
                with fewer points.
            boxes (np.ndarray, optional): (B, 4) boxes x1, y1, x2, y2.
            mask_input (np.ndarray, optional): (B, 1, h, w) low-res logits.
            multimask_output (bool): Three candidates per set (True) or one.
            return_logits (bool): Return logits instead of boolean masks.

        Returns:
            tuple[np.ndarray, np.ndarray, np.ndarray]: masks (B, C, H, W),
            IoU predictions (B, C) and low-res logits (B, C, h, w).
        """
        self._check_image_set()
        if (point_coords is None) != (point_labels is None):
            raise ValueError(
                'point_coords and point_labels must be given together, got '
                f'point_coords={_shape_of(point_coords)} and '
                f'point_labels={_shape_of(point_labels)}')
        sizes = {}
        device = self.device
        coords = labels = None
        if point_coords is not None:
            point_coords = np.asarray(point_coords)
            point_labels = np.asarray(point_labels)
            if point_coords.ndim != 3 or point_coords.shape[-1] != 2:
                raise ValueError('point_coords must be (B, K, 2), got shape '
                                 f'{point_coords.shape}')
            if point_labels.shape != point_coords.shape[:2]:
                raise ValueError(
                    f'point_labels must be {point_coords.shape[:2]} to match '
                    f'point_coords, got shape {point_labels.shape}')
            sizes['point_coords'] = point_coords.shape[0]
            coords = torch.as_tensor(
                self._to_input_frame(point_coords),
                dtype=torch.float,
                device=device)
            labels = torch.as_tensor(point_labels, device=device).long()
        if boxes is not None:
            boxes = np.asarray(boxes)
            if boxes.ndim != 2 or boxes.shape[-1] != 4:
                raise ValueError(
                    f'boxes must be (B, 4), got shape {boxes.shape}')
            sizes['boxes'] = boxes.shape[0]
            boxes = torch.as_tensor(
                self._to_input_frame(boxes.reshape(-1, 2, 2)).reshape(-1, 4),
                dtype=torch.float,
                device=device)
        if mask_input is not None:
            mask_input = np.asarray(mask_input)
            expected = (1, *self.model.low_res_size)
            if mask_input.ndim != 4 or mask_input.shape[1:] != expected:
                raise ValueError(
                    f'mask_input must be (B, {", ".join(map(str, expected))}) '
                    f'low-res logits, got shape {mask_input.shape}')
            sizes['mask_input'] = mask_input.shape[0]
            mask_input = torch.as_tensor(
                mask_input, dtype=torch.float, device=device)
        if not sizes:
            raise ValueError('give at least one of point_coords / '
                             'point_labels, boxes or mask_input')
        if len(set(sizes.values())) > 1:
            raise ValueError(
                f'prompts disagree on the batch size B: {sizes}')

        sparse, sparse_padding, dense = self.model.prompt_encoder(
            coords, labels, boxes, None, mask_input)
        logits, iou = self.model.mask_decoder(
            self.features, self.model.prompt_encoder.get_dense_pe(), sparse,
            dense, sparse_padding)
        keep = self.model.mask_decoder.output_slice(multimask_output)
        logits, iou = logits[:, keep], iou[:, keep]
        masks = self._postprocess(logits, return_logits)
        return (masks.cpu().numpy(), iou.cpu().numpy(),
                logits.cpu().numpy())

    def _postprocess(self, logits: torch.Tensor,
                     return_logits: bool) -> torch.Tensor:
        """(B, C, h, w) logits to (B, C, H, W) masks of the original image."""
        b, c = logits.shape[:2]
        new_h, new_w = self.input_size
        up = F.interpolate(
            logits.flatten(0, 1)[:, None],
            self.model.input_size,
            mode='bilinear',
            align_corners=False)[..., :new_h, :new_w]
        up = F.interpolate(
            up, self.original_size, mode='bilinear', align_corners=False)
        up = up.view(b, c, *self.original_size)
        if return_logits:
            return up
        return up > self.model.test_cfg['mask_threshold']


def _shape_of(x) -> Optional[tuple]:
    """Shape of an array-like for error messages."""
    return None if x is None else np.shape(x)
