"""State of one click-to-segment session: an uploaded image, its prompts, the
predicted candidates and the masks the user accepted."""
import math
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

import numpy as np

from ..datasets.dicom_calibration import read_dicom_calibration
from ..evaluation.measurements import measure_mask
from ..structures.calibration import PixelCalibration
from .coco_export import coco_dataset, mask_annotation, mask_to_rle, rle_to_mask
from .embedding_cache import ImageEmbeddingCache, image_key
from .image_upload import MAX_IMAGE_PIXELS, decode_frame, read_image_header

POINT_LABELS = {1: 'positive', 0: 'negative'}


@dataclass
class Prediction:
    """The decoder's answer to the prompts of one step.

    Args:
        masks (np.ndarray): (C, H, W) bool candidates.
        ious (np.ndarray): (C,) predicted IoU of each candidate.
        low_res_logits (np.ndarray): (C, h, w) logits, fed back as the mask
            prompt of the next step.
        selected (int): Candidate the user works with (initially the one with
            the highest predicted IoU).
        decode_ms (float): Prompt encoder + decoder time.
    """
    masks: np.ndarray
    ious: np.ndarray
    low_res_logits: np.ndarray
    selected: int
    decode_ms: float

    @property
    def mask(self) -> np.ndarray:
        """The selected candidate, (H, W) bool."""
        return self.masks[self.selected]


@dataclass
class AcceptedMask:
    """A mask the user kept, stored as RLE.

    Args:
        frame (int): Frame it belongs to.
        rle (dict): COCO RLE.
        predicted_iou (float): The model's IoU estimate.
        prompts (list[dict]): Prompts that produced it.
    """
    frame: int
    rle: Dict[str, object]
    predicted_iou: float
    prompts: List[Dict[str, Union[str, float, int]]] = field(
        default_factory=list)


def _finite(name: str, value: object) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a number, got {value!r:.40}') \
            from None
    if not math.isfinite(number):
        raise ValueError(f'{name} must be finite, got {value!r:.40}')
    return number


class InteractiveSession:
    """Click-to-segment on one uploaded image (or DICOM cine loop).

    Every prompt (point or box) is one step: the prediction of a step uses
    all points so far, the latest box, and the selected candidate of the
    previous step as mask prompt (the model's corrective-click training).
    :meth:`undo` drops the last step, :meth:`reset` all of them, and
    :meth:`accept` keeps the selected mask and starts the next object.
    Prompts belong to a frame: changing the frame resets them.

    The image embedding comes from a shared :class:`ImageEmbeddingCache`
    (another session may have set another image on the predictor since the
    last call). Callers serialise calls that use the model.

    Args:
        data (bytes): The uploaded file.
        filename (str): Its name (messages, DICOM detection, COCO export).
        cache (ImageEmbeddingCache): Embedding cache of the predictor.
        max_pixels (int): Largest frame accepted, in pixels.
    """

    def __init__(self,
                 data: bytes,
                 filename: str,
                 cache: ImageEmbeddingCache,
                 max_pixels: int = MAX_IMAGE_PIXELS) -> None:
        header = read_image_header(data, filename, max_pixels)
        self.filename = filename
        self.num_frames = header.num_frames
        # A DICOM file's spacing; measurements are in pixels without one.
        self.calibration = read_dicom_calibration(
            data, filename) or PixelCalibration()
        self.cache = cache
        self.max_pixels = max_pixels
        self._data = data
        self.accepted: List[AcceptedMask] = []
        self.set_frame(0)

    @property
    def height(self) -> int:
        """Rows of the current frame."""
        return self.image.shape[0]

    @property
    def width(self) -> int:
        """Columns of the current frame."""
        return self.image.shape[1]

    @property
    def prediction(self) -> Optional[Prediction]:
        """The prediction of the last step, None before the first prompt."""
        return self.history[-1] if self.history else None

    def set_frame(self, frame: int) -> float:
        """Decode and encode a frame; forget the prompts.

        Args:
            frame (int): 0-based frame index.

        Returns:
            float: Encoder time in ms (also kept as ``encode_ms``), 0 when
            the embedding was cached.
        """
        if isinstance(frame, bool) or not isinstance(frame, int) or \
                not 0 <= frame < self.num_frames:
            raise ValueError(f'frame must be an integer in 0..'
                             f'{self.num_frames - 1}, got {frame!r}')
        image = decode_frame(self._data, self.filename, frame,
                             self.max_pixels)
        key = image_key(image)
        start = time.perf_counter()
        cached = self.cache.set_image(image, key)
        self.frame, self.image, self.image_key = frame, image, key
        self.encode_ms = 0.0 if cached else (time.perf_counter() - start) * 1e3
        self.prompts: List[Dict[str, Union[str, float, int]]] = []
        self.history: List[Prediction] = []
        return self.encode_ms

    def add_point(self, x: object, y: object, label: object) -> Prediction:
        """Add a positive (label 1) or negative (0) point and predict."""
        if label not in POINT_LABELS or isinstance(label, bool):
            raise ValueError(f'point label must be 1 (positive) or 0 '
                             f'(negative), got {label!r:.40}')
        return self._add(dict(type='point', x=_finite('x', x),
                              y=_finite('y', y), label=int(label)))

    def add_box(self, x1: object, y1: object, x2: object,
                y2: object) -> Prediction:
        """Add (or replace) the box, corners in any order, and predict."""
        xs = sorted((_finite('x1', x1), _finite('x2', x2)))
        ys = sorted((_finite('y1', y1), _finite('y2', y2)))
        return self._add(dict(type='box', x1=xs[0], y1=ys[0], x2=xs[1],
                              y2=ys[1]))

    def _add(self, prompt: Dict[str, Union[str, float, int]]) -> Prediction:
        # The predictor validates the prompts (inside the image, ...); on an
        # error the step is not recorded.
        prediction = self._predict(self.prompts + [prompt])
        self.prompts.append(prompt)
        self.history.append(prediction)
        return prediction

    def _multimask(self, points: list, box: Optional[dict]) -> bool:
        """The model's own output mode (``test_cfg.multimask_output``);
        'auto' gives candidates for a single point, SAM's ambiguous case."""
        mode = self.cache.predictor.model.test_cfg['multimask_output']
        if mode == 'auto':
            return len(points) == 1 and box is None
        return bool(mode)

    def _predict(self, prompts: List[dict]) -> Prediction:
        points = [p for p in prompts if p['type'] == 'point']
        boxes = [p for p in prompts if p['type'] == 'box']
        box = boxes[-1] if boxes else None
        previous = self.prediction
        self.cache.set_image(self.image, self.image_key)
        start = time.perf_counter()
        masks, ious, low_res = self.cache.predictor.predict(
            point_coords=np.array([[p['x'], p['y']] for p in points])
            if points else None,
            point_labels=np.array([p['label'] for p in points])
            if points else None,
            box=np.array([box['x1'], box['y1'], box['x2'], box['y2']])
            if box else None,
            mask_input=None if previous is None else
            previous.low_res_logits[previous.selected][None],
            multimask_output=self._multimask(points, box))
        decode_ms = (time.perf_counter() - start) * 1e3
        return Prediction(masks, ious, low_res, int(np.argmax(ious)),
                          decode_ms)

    def select(self, index: object) -> Prediction:
        """Work on candidate ``index`` of the last prediction."""
        prediction = self.prediction
        if prediction is None:
            raise ValueError('no prediction yet: click on the image first')
        if isinstance(index, bool) or not isinstance(index, int) or \
                not 0 <= index < len(prediction.ious):
            raise ValueError(f'candidate must be an integer in 0..'
                             f'{len(prediction.ious) - 1}, got {index!r:.40}')
        prediction.selected = index
        return prediction

    def undo(self) -> Optional[Prediction]:
        """Drop the last prompt; returns the prediction now current."""
        if not self.prompts:
            raise ValueError('nothing to undo: no prompt on this frame')
        self.prompts.pop()
        self.history.pop()
        return self.prediction

    def reset(self) -> None:
        """Drop all prompts of the current object (accepted masks stay)."""
        self.prompts = []
        self.history = []

    def accept(self) -> AcceptedMask:
        """Keep the selected mask and start a new object."""
        prediction = self.prediction
        if prediction is None:
            raise ValueError('no mask to accept: click on the image first')
        if not prediction.mask.any():
            raise ValueError('the selected mask is empty; add prompts or '
                             'choose another candidate before accepting')
        accepted = AcceptedMask(
            self.frame, mask_to_rle(prediction.mask),
            float(prediction.ious[prediction.selected]), list(self.prompts))
        self.accepted.append(accepted)
        self.reset()
        return accepted

    def measurements(self) -> Optional[Dict[str, object]]:
        """Measurements of the selected mask
        (:func:`ultrasam.evaluation.measure_mask`, in mm when the file is
        calibrated), None without a prediction or for an empty mask."""
        prediction = self.prediction
        if prediction is None or not prediction.mask.any():
            return None
        return measure_mask(prediction.mask, self.calibration,
                            self.image).to_dict(decimals=2)

    def accepted_mask(self, index: int) -> np.ndarray:
        """Accepted mask ``index`` as (H, W) bool."""
        return rle_to_mask(self.accepted[index].rle)

    def coco(self) -> Dict[str, object]:
        """COCO dict of the accepted masks: one image entry per frame that
        has any (``id`` = frame + 1, ``frame`` = the 0-based index)."""
        frames = sorted({a.frame for a in self.accepted})
        images = []
        for frame in frames:
            height, width = self.accepted_shape(frame)
            images.append(dict(id=frame + 1, file_name=self.filename,
                               frame=frame, height=height, width=width))
        annotations = [
            mask_annotation(rle_to_mask(a.rle), a.frame + 1, index + 1,
                            score=a.predicted_iou, prompts=a.prompts)
            for index, a in enumerate(self.accepted)
        ]
        return coco_dataset(images, annotations,
                            f'UltraSam interactive masks of {self.filename}')

    def accepted_shape(self, frame: int) -> tuple:
        """(H, W) of the accepted masks of ``frame``."""
        rle = next(a.rle for a in self.accepted if a.frame == frame)
        return tuple(int(s) for s in rle['size'])
