"""ONNX export of an UltraSam model as two graphs, like segment-anything's: the
image encoder (run once per image) and the prompt encoder + mask decoder (run per
click, with any number of points and an optional box and mask prompt)."""
import json
import warnings
from pathlib import Path
from typing import Dict, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..datasets.image_io import to_uint8
from ..models import UltraSam

ENCODER_FILE = 'image_encoder.onnx'
DECODER_FILE = 'prompt_decoder.onnx'
META_FILE = 'ultrasam_onnx.json'
ENCODER_INPUTS = ('image', )
ENCODER_OUTPUTS = ('image_embeddings', )
DECODER_INPUTS = ('image_embeddings', 'point_coords', 'point_labels', 'box',
                  'has_box_input', 'mask_input', 'has_mask_input',
                  'orig_im_size')
DECODER_OUTPUTS = ('masks', 'iou_predictions', 'low_res_logits')


def preprocessor_as_affine(model: UltraSam) -> Tuple[Tensor, Tensor]:
    """The model's data preprocessor as ``weight @ rgb + bias`` per pixel.

    The preprocessor (channel order, mean / std) is probed with a black
    pixel and one pixel per input channel, so any linear preprocessing is
    reproduced exactly without reading its settings.

    Returns:
        tuple[Tensor, Tensor]: (3, 3) weight on RGB input channels and (3,)
        bias.
    """
    # Pixels: black, then blue, green and red at 1 (the pipeline is BGR).
    probe = torch.zeros(3, 1, 4)
    for channel in range(3):
        probe[channel, 0, channel + 1] = 1.0
    out = model.data_preprocessor(
        dict(inputs=[probe], data_samples=None), training=False)['inputs']
    out = out[0, :, 0, :4].detach().cpu().double()
    bias = out[:, 0]
    weight_bgr = out[:, 1:] - bias[:, None]
    return weight_bgr.flip(1).float(), bias.float()


class OnnxImageEncoder(nn.Module):
    """Image encoder graph: a resized RGB image to its embedding.

    Input ``image`` (1, 3, h, w) float32 RGB in 0..255, resized so that its
    longest side is the model's input size (:func:`resize_for_encoder`);
    the graph normalises it like the data preprocessor, zero-pads it to the
    square input and runs the backbone. Output ``image_embeddings``
    (1, C, h', w').

    Args:
        model (UltraSam): The model, in eval mode.
    """

    def __init__(self, model: UltraSam) -> None:
        super().__init__()
        self.backbone = model.backbone
        self.input_size = model.input_size
        weight, bias = preprocessor_as_affine(model)
        self.register_buffer('weight', weight[:, :, None, None])
        self.register_buffer('bias', bias)

    def forward(self, image: Tensor) -> Tensor:
        x = F.conv2d(image, self.weight, self.bias)
        x = F.pad(x, (0, self.input_size[1] - x.shape[-1], 0,
                      self.input_size[0] - x.shape[-2]))
        return self.backbone(x)[-1]


class OnnxPromptDecoder(nn.Module):
    """Prompt encoder + mask decoder graph for one prompt set.

    Inputs (segment-anything's exported decoder, with an explicit box):

    - ``image_embeddings`` (1, C, h, w): the encoder graph's output;
    - ``point_coords`` (1, N, 2) float (x, y) pixels of the original image,
      any N >= 1, and ``point_labels`` (1, N) float: 1 positive, 0 negative,
      -1 padding (e.g. a single -1 point when there is only a box or mask);
    - ``box`` (1, 4) x1, y1, x2, y2 and ``has_box_input`` (1,) 1 or 0;
    - ``mask_input`` (1, 1, 4h, 4w) low-res logits and ``has_mask_input``
      (1,) 1 or 0;
    - ``orig_im_size`` (2,) float (H, W) of the original image.

    Outputs: ``masks`` (1, T, H, W) logits at the original size,
    ``iou_predictions`` (1, T) and ``low_res_logits`` (1, T, 4h, 4w) for all
    T = 1 + num_multimask_outputs mask tokens: token 0 is the single-mask
    output, tokens 1.. the multimask candidates (the predictor's
    ``multimask_output=False`` / ``True``). Threshold ``masks`` at the
    model's ``test_cfg.mask_threshold`` (written to the metadata file).

    Tokens are laid out as the points, then two slots: the box corners, or
    (without a box) the "not a point" token and a padding slot. The "not a
    point" token is padding too when no point is real, so every prompt
    combination gives :meth:`UltraSamPredictor.predict`'s tokens plus
    padding, which no other token attends to.

    Args:
        model (UltraSam): The model, in eval mode.
    """

    def __init__(self, model: UltraSam) -> None:
        super().__init__()
        self.prompt_encoder = model.prompt_encoder
        self.mask_decoder = model.mask_decoder
        self.input_size = model.input_size

    def _to_input_frame(self, coords: Tensor, orig_im_size: Tensor) -> Tensor:
        """Original-image (x, y) to the resized frame, as the predictor."""
        target = float(max(self.input_size))
        scale = target / orig_im_size.max()
        resized = torch.floor(orig_im_size * scale + 0.5)  # (H', W')
        return coords * (resized / orig_im_size).flip(0)

    def forward(self, image_embeddings: Tensor, point_coords: Tensor,
                point_labels: Tensor, box: Tensor, has_box_input: Tensor,
                mask_input: Tensor, has_mask_input: Tensor,
                orig_im_size: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        encoder = self.prompt_encoder
        point_tokens = encoder.embed_points(
            self._to_input_frame(point_coords, orig_im_size), point_labels)
        corners = encoder.embed_boxes(
            self._to_input_frame(box.reshape(1, 2, 2),
                                 orig_im_size).reshape(1, 4))
        no_box = torch.cat([encoder.not_a_point_embed.weight[None],
                            torch.zeros_like(corners[:, 1:])], 1)
        has_box = has_box_input.reshape(1, 1, 1)
        slot_tokens = has_box * corners + (1 - has_box) * no_box
        any_point = (point_labels != -1).any(1)
        no_box_flag = has_box_input.reshape(1) < 0.5
        slot_padding = torch.stack(
            [no_box_flag & ~any_point, no_box_flag], 1)
        sparse = torch.cat([point_tokens, slot_tokens], 1)
        padding = torch.cat([point_labels == -1, slot_padding], 1)

        has_mask = has_mask_input.reshape(1, 1, 1, 1)
        no_mask = encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
        dense = has_mask * encoder.embed_masks(mask_input) + \
            (1 - has_mask) * no_mask
        logits, iou = self.mask_decoder(image_embeddings,
                                        encoder.get_dense_pe(), sparse,
                                        dense, padding)

        scale = float(max(self.input_size)) / orig_im_size.max()
        content = torch.floor(orig_im_size * scale + 0.5).long()
        out_size = orig_im_size.long()
        up = F.interpolate(logits, self.input_size, mode='bilinear',
                           align_corners=False)
        up = up[..., :content[0], :content[1]]
        masks = F.interpolate(up, (out_size[0], out_size[1]),
                              mode='bilinear', align_corners=False)
        return masks, iou, logits


def resize_for_encoder(image: np.ndarray, input_size: int) -> np.ndarray:
    """The encoder graph's ``image`` input from an RGB or gray array.

    Same steps as :meth:`UltraSamPredictor.set_image` before its data
    preprocessor: min-max mapping of uint16 to uint8, longest side resized
    to ``input_size`` (bilinear).

    Args:
        image (np.ndarray): H x W x 3 RGB or H x W, uint8 or uint16.
        input_size (int): The model's input size (longest side).

    Returns:
        np.ndarray: (1, 3, h, w) float32 RGB in 0..255.
    """
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    rgb = to_uint8(image, 'minmax').astype(np.float32)
    h, w = rgb.shape[:2]
    scale = input_size / max(h, w)
    new_h, new_w = int(h * scale + 0.5), int(w * scale + 0.5)
    if (new_h, new_w) != (h, w):
        rgb = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None])


def export_onnx(model: UltraSam,
                out_dir: Union[str, Path],
                opset: int = 17) -> Dict[str, str]:
    """Write the encoder and decoder graphs and a metadata JSON.

    Args:
        model (UltraSam): The model (any device; exported on the CPU).
        out_dir (str | Path): Output directory (created).
        opset (int): ONNX opset. Defaults to 17.

    Returns:
        dict[str, str]: Paths of ``encoder``, ``decoder`` and ``meta``.
    """
    model = model.cpu().eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    side = max(model.input_size)
    height, width = model.input_size[0], model.input_size[1] * 3 // 4
    encoder, decoder = OnnxImageEncoder(model), OnnxPromptDecoder(model)
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer flags Python-side shape checks and the decoder's
        # padding branch (see the example below); the graphs are checked
        # against PyTorch for every prompt kind instead (export_onnx.py).
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.filterwarnings('ignore', 'Constant folding', UserWarning)
        # torch.export (the new exporter) cannot trace the decoder's
        # data-dependent padding branch; the TorchScript exporter can.
        warnings.filterwarnings('ignore', '.*legacy TorchScript-based',
                                DeprecationWarning)
        image = torch.rand(1, 3, height, width) * 255
        embeddings = encoder(image)
        low_res = model.low_res_size
        # The example has padding tokens (no box), so the traced decoder
        # always passes its padding mask to the attention layers.
        example = (embeddings, torch.tensor([[[10., 20.], [30., 40.]]]),
                   torch.tensor([[1., -1.]]), torch.zeros(1, 4),
                   torch.zeros(1), torch.zeros(1, 1, *low_res),
                   torch.zeros(1), torch.tensor([height * 1.5, width * 1.5]))
        paths = dict(encoder=out_dir / ENCODER_FILE,
                     decoder=out_dir / DECODER_FILE, meta=out_dir / META_FILE)
        torch.onnx.export(
            encoder, (image, ), str(paths['encoder']), dynamo=False,
            input_names=list(ENCODER_INPUTS),
            output_names=list(ENCODER_OUTPUTS), opset_version=opset,
            dynamic_axes=dict(image={2: 'height', 3: 'width'}))
        torch.onnx.export(
            decoder, example, str(paths['decoder']), dynamo=False,
            input_names=list(DECODER_INPUTS),
            output_names=list(DECODER_OUTPUTS), opset_version=opset,
            dynamic_axes=dict(
                point_coords={1: 'num_points'},
                point_labels={1: 'num_points'},
                masks={2: 'image_height', 3: 'image_width'}))
    meta = dict(
        input_size=side,
        low_res_size=list(low_res),
        mask_threshold=model.test_cfg['mask_threshold'],
        multimask_output=model.test_cfg['multimask_output'],
        num_mask_tokens=model.mask_decoder.num_mask_tokens,
        encoder=dict(file=ENCODER_FILE, inputs=list(ENCODER_INPUTS),
                     outputs=list(ENCODER_OUTPUTS)),
        decoder=dict(file=DECODER_FILE, inputs=list(DECODER_INPUTS),
                     outputs=list(DECODER_OUTPUTS)))
    paths['meta'].write_text(json.dumps(meta, indent=2))
    return {k: str(v) for k, v in paths.items()}
