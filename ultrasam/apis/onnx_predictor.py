"""UltraSamPredictor's ``set_image`` / ``predict`` on the exported ONNX graphs,
run by onnxruntime (no torch model needed)."""
import json
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ..structures import check_prompts
from ..utils import to_numpy
from .onnx_export import META_FILE, resize_for_encoder

ArrayOrNone = Optional[np.ndarray]


class OnnxUltraSamPredictor:
    """Prompted inference with ``tools/deployment/export_onnx.py``'s output.

    Same conventions as :class:`UltraSamPredictor`: (x, y) pixels of the
    original image, labels 1 / 0 (and -1 padding), box x1, y1, x2, y2,
    low-res logits as mask prompt.

    Args:
        onnx_dir (str | Path): Directory with the two graphs and
            ``ultrasam_onnx.json``.
        providers (Sequence[str]): onnxruntime execution providers.
            Defaults to the CPU.
        threads (int, optional): Intra-op threads; None lets onnxruntime
            choose (one per core).
    """

    def __init__(self,
                 onnx_dir: Union[str, Path],
                 providers: Sequence[str] = ('CPUExecutionProvider', ),
                 threads: Optional[int] = None) -> None:
        import onnxruntime

        onnx_dir = Path(onnx_dir)
        meta_file = onnx_dir / META_FILE
        if not meta_file.is_file():
            raise FileNotFoundError(
                f'{meta_file} not found: export the model with '
                'tools/deployment/export_onnx.py')
        self.meta = json.loads(meta_file.read_text())
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        self.encoder, self.decoder = (
            onnxruntime.InferenceSession(
                str(onnx_dir / self.meta[graph]['file']), options,
                providers=list(providers)) for graph in ('encoder', 'decoder'))
        self.features = None
        self.original_size = None

    def set_image(self, image: np.ndarray) -> None:
        """Run the encoder graph on an H x W x 3 RGB or H x W image."""
        self.features = self.original_size = None
        if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or \
                image.dtype not in (np.uint8, np.uint16):
            raise TypeError('image must be an H x W (x 3) uint8 / uint16 '
                            f'numpy array, got {getattr(image, "dtype", "")} '
                            f'{getattr(image, "shape", type(image))}')
        self.features = self.encoder.run(None, dict(
            image=resize_for_encoder(image, self.meta['input_size'])))[0]
        self.original_size = image.shape[:2]

    def predict(self,
                point_coords: ArrayOrNone = None,
                point_labels: ArrayOrNone = None,
                box: ArrayOrNone = None,
                mask_input: ArrayOrNone = None,
                multimask_output: bool = True,
                return_logits: bool = False
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Masks (C, H, W), IoU predictions (C,) and low-res logits
        (C, h, w), C = 3 candidates or 1 (see
        :meth:`UltraSamPredictor.predict`)."""
        if self.features is None:
            raise RuntimeError(
                'no image set: call set_image(image) before predict')
        height, width = self.original_size
        if box is not None:
            box = to_numpy(box)
            if box.size != 4:
                raise ValueError(
                    f'box must be (4,) or (1, 4), got shape {box.shape}')
        coords, labels, boxes, mask_input = check_prompts(
            None if point_coords is None else to_numpy(point_coords)[None],
            None if point_labels is None else to_numpy(point_labels)[None],
            None if box is None else box.reshape(1, 4),
            None if mask_input is None else to_numpy(mask_input)[None],
            self.original_size, self.meta['low_res_size'])
        box = None if boxes is None else boxes[0]
        if coords is None:
            coords, labels = np.zeros((1, 2)), -np.ones(1)
        else:
            coords, labels = coords[0], labels[0]
        mask_input = None if mask_input is None else mask_input[0]
        low_res = self.meta['low_res_size']
        feeds = dict(
            image_embeddings=self.features,
            point_coords=coords[None].astype(np.float32),
            point_labels=labels[None].astype(np.float32),
            box=(np.zeros(4) if box is None else box)[None].astype(np.float32),
            has_box_input=np.array([box is not None], np.float32),
            mask_input=(np.zeros((1, 1, *low_res)) if mask_input is None else
                        np.asarray(mask_input)[None]).astype(np.float32),
            has_mask_input=np.array([mask_input is not None], np.float32),
            orig_im_size=np.array([height, width], np.float32))
        masks, iou, logits = self.decoder.run(None, feeds)
        keep = slice(1, None) if multimask_output else slice(0, 1)
        masks, iou, logits = masks[0, keep], iou[0, keep], logits[0, keep]
        if not return_logits:
            masks = masks > self.meta['mask_threshold']
        return masks, iou, logits
