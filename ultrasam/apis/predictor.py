"""Prompted inference on single images, without ground truth."""
from pathlib import Path
from typing import Optional, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdet.registry import MODELS
from ..datasets.image_io import to_uint8
from ..models import UltraSam
from ..structures import check_prompts
from ..utils import load_model_weights, to_numpy

ArrayOrNone = Optional[np.ndarray]

# Precisions the image encoder can run in (autocast dtypes).
ENCODER_PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16}


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

    With ``precision='bf16'`` the image encoder runs under bfloat16
    autocast (about 0.6x the time of float32 on CPUs with AVX512-BF16, see
    the README's Performance section); its embedding is returned to float32
    and the prompt encoder and mask decoder always run in float32.

    Args:
        model (UltraSam): The model; put in eval mode.
        precision (str): Precision of the image encoder, 'fp32' or 'bf16'.
            Defaults to 'fp32'.
    """

    def __init__(self, model: UltraSam, precision: str = 'fp32') -> None:
        if not isinstance(model, UltraSam):
            raise TypeError(
                f'model must be an UltraSam model, got {type(model).__name__}')
        if precision not in ENCODER_PRECISIONS:
            raise ValueError(
                f'precision must be one of {sorted(ENCODER_PRECISIONS)}, '
                f'got {precision!r}')
        for name, param in model.named_parameters():
            if not torch.isfinite(param).all():
                raise ValueError(
                    f'model parameter {name} holds non-finite values (NaN / '
                    'Inf): the weights are corrupt, load another checkpoint')
        self.model = model.eval()
        self.precision = precision
        self.reset_image()

    @classmethod
    def from_config(cls,
                    config: Union[str, Path, Config],
                    checkpoint: Optional[Union[str, Path]] = None,
                    device: Union[str, torch.device] = 'cpu',
                    precision: str = 'fp32') -> 'UltraSamPredictor':
        """Build the model of a config and load its weights.

        Args:
            config (str | Path | Config): Config file or object with a
                ``model`` entry.
            checkpoint (str | Path, optional): Checkpoint to load strictly;
                None keeps random weights.
            device (str | torch.device): Device to run on. Defaults to 'cpu'.
            precision (str): Precision of the image encoder, 'fp32' or
                'bf16'. Defaults to 'fp32'.

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
            load_model_weights(model, checkpoint, strict=True)
        return cls(model.to(device), precision=precision)

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
        if not isinstance(image, np.ndarray):
            raise TypeError(
                'set_image expects the image as a numpy array (H x W x 3 RGB '
                f'or H x W gray), got {type(image).__name__}; read files with '
                'ultrasam.datasets.read_ultrasound_image')
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

        The previous image is forgotten first, so a failure here never
        leaves predictions answering for an older image.

        Args:
            image (np.ndarray): H x W x 3 RGB or H x W grayscale, uint8 or
                uint16.
        """
        self.reset_image()
        rgb = self._to_float_rgb(image)
        h, w = rgb.shape[:2]
        target = max(self.model.input_size)
        scale = target / max(h, w)
        new_h, new_w = int(h * scale + 0.5), int(w * scale + 0.5)
        if min(new_h, new_w) < 1:
            raise ValueError(
                f'image of {h}x{w} pixels is too elongated: resized to a '
                f'longest side of {target} its short side would be 0 pixels')
        if (new_h, new_w) != (h, w):
            rgb = cv2.resize(
                rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        # The data preprocessor normalises (and converts channels) exactly as
        # in training; it expects the pipeline's BGR order.
        bgr = torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1]))
        x = self.model.data_preprocessor(
            dict(inputs=[bgr.permute(2, 0, 1)], data_samples=None),
            training=False)['inputs']
        pad_h, pad_w = self.model.input_size
        x = F.pad(x, (0, pad_w - x.shape[-1], 0, pad_h - x.shape[-2]))
        autocast_dtype = ENCODER_PRECISIONS[self.precision]
        with torch.autocast(
                self.device.type,
                dtype=autocast_dtype,
                enabled=autocast_dtype is not None):
            features = self.model.extract_feat(x)
        self.features = features.float()
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
        if box is not None:
            box = to_numpy(box)
            if box.size != 4:
                raise ValueError(
                    f'box must be (4,) or (1, 4), got shape {box.shape}')
            box = box.reshape(1, 4)
        masks, iou, low_res = self.predict_batch(
            _add_batch_axis(point_coords), _add_batch_axis(point_labels), box,
            _add_batch_axis(mask_input), multimask_output, return_logits)
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
        point_coords, point_labels, boxes, mask_input = check_prompts(
            point_coords, point_labels, boxes, mask_input, self.original_size,
            self.model.low_res_size)
        device = self.device

        def as_tensor(value: ArrayOrNone, dtype: torch.dtype):
            return None if value is None else torch.as_tensor(
                value, dtype=dtype, device=device)

        if point_coords is not None:
            point_coords = self._to_input_frame(point_coords)
        if boxes is not None:
            boxes = self._to_input_frame(boxes.reshape(-1, 2, 2)).reshape(
                -1, 4)
        sparse, sparse_padding, dense = self.model.prompt_encoder(
            as_tensor(point_coords, torch.float),
            as_tensor(point_labels, torch.long), as_tensor(boxes, torch.float),
            None, as_tensor(mask_input, torch.float))
        logits, iou = self.model.mask_decoder(
            self.features, self.model.prompt_encoder.get_dense_pe(), sparse,
            dense, sparse_padding)
        keep = self.model.mask_decoder.output_slice(multimask_output)
        logits, iou = logits[:, keep], iou[:, keep]
        if not (torch.isfinite(logits).all() and torch.isfinite(iou).all()):
            raise RuntimeError(
                'the model produced non-finite mask logits or IoU '
                'predictions (NaN / Inf): its weights or inputs are corrupt')
        b, c = logits.shape[:2]
        up = self.model.mask_decoder.upscale_logits(
            logits.flatten(0, 1), self.model.input_size, self.input_size,
            self.original_size).view(b, c, *self.original_size)
        masks = up if return_logits else \
            up > self.model.test_cfg['mask_threshold']
        return to_numpy(masks), to_numpy(iou), to_numpy(logits)


def _add_batch_axis(value: ArrayOrNone) -> ArrayOrNone:
    """``value`` with a leading axis of one prompt set."""
    return None if value is None else to_numpy(value)[None]
