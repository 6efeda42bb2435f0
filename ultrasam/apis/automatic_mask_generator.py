"""Masks of everything in an image from a grid of point prompts (SAM's automatic
mask generation) with an :class:`UltraSamPredictor`."""
from typing import Dict, List, Tuple

import numpy as np
from pycocotools import mask as mask_utils

from .coco_export import mask_to_rle
from .predictor import UltraSamPredictor

OUTPUT_MODES = ('binary_mask', 'coco_rle')


def point_grid(points_per_side: int) -> np.ndarray:
    """(n*n, 2) cell centres of an n x n grid over [0, 1]^2, as (x, y)."""
    centres = (np.arange(points_per_side) + 0.5) / points_per_side
    xs, ys = np.meshgrid(centres, centres)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def crop_boxes(height: int, width: int, num_layers: int,
               overlap_ratio: float) -> List[Tuple[int, int, int, int]]:
    """The whole image, then per layer ``i`` a 2^i x 2^i tiling of crops that
    overlap by ``overlap_ratio`` of the shorter side (scaled down with i).

    Returns:
        list[tuple[int, int, int, int]]: x0, y0, x1, y1 (x1, y1 exclusive),
        the whole image first.
    """
    boxes = [(0, 0, width, height)]
    short = min(height, width)
    for layer in range(1, num_layers + 1):
        per_side = 2**layer
        overlap = int(overlap_ratio * short * 2 / per_side)

        def starts_and_length(size: int) -> Tuple[List[int], int]:
            length = int(np.ceil((overlap * (per_side - 1) + size) /
                                 per_side))
            return [int((length - overlap) * i)
                    for i in range(per_side)], length

        x_starts, crop_w = starts_and_length(width)
        y_starts, crop_h = starts_and_length(height)
        boxes += [(x0, y0, min(x0 + crop_w, width), min(y0 + crop_h, height))
                  for y0 in y_starts for x0 in x_starts]
    return boxes


def stability_scores(logits: np.ndarray, threshold: float,
                     offset: float) -> np.ndarray:
    """IoU of the masks at ``threshold + offset`` and ``threshold - offset``
    (SAM's stability score): how little the mask moves with the threshold.

    Args:
        logits (np.ndarray): (N, H, W) mask logits.
        threshold (float): The mask threshold.
        offset (float): Logit offset.

    Returns:
        np.ndarray: (N,) scores in [0, 1] (1 for masks empty at both).
    """
    flat = logits.reshape(len(logits), -1)
    inner = (flat > threshold + offset).sum(1)
    outer = (flat > threshold - offset).sum(1)
    return np.where(outer > 0, inner / np.maximum(outer, 1), 1.0)


def mask_nms(rles: List[Dict[str, object]], scores: np.ndarray,
             iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression on mask IoU.

    Args:
        rles (list[dict]): COCO RLEs (pycocotools' bytes or str counts).
        scores (np.ndarray): (N,) higher is kept first.
        iou_threshold (float): A mask overlapping a kept one by more than
            this IoU is dropped.

    Returns:
        np.ndarray: Indices kept, best score first.
    """
    if not rles:
        return np.zeros(0, np.int64)
    ious = mask_utils.iou(rles, rles, [0] * len(rles))
    order = np.argsort(-scores, kind='stable')
    kept: List[int] = []
    for index in order:
        if all(ious[index, k] <= iou_threshold for k in kept):
            kept.append(int(index))
    return np.array(kept, np.int64)


class UltraSamAutomaticMaskGenerator:
    """Segment everything: prompt a grid of points, keep the good masks.

    Each grid point is one single-point prompt; prompts are decoded
    ``points_per_batch`` at a time with :meth:`UltraSamPredictor.predict_batch`
    (the image is encoded once per crop). A candidate is kept when its
    predicted IoU and its stability score (see :func:`stability_scores`)
    pass the thresholds; duplicates are removed by mask non-maximum
    suppression within each crop, then across crops. With ``crop_n_layers``
    the image is also segmented in overlapping crops (helps small
    structures); masks that touch a crop's inner border are dropped there,
    since the crop cut them.

    Args:
        predictor (UltraSamPredictor): Predictor with the model.
        points_per_side (int): Grid of n x n points per crop.
            Defaults to 16.
        points_per_batch (int): Prompts decoded at once; bounds memory
            (batch x candidates x H x W float logits). Defaults to 32.
        pred_iou_thresh (float): Minimum predicted IoU (exclusive).
            Defaults to 0.88 (segment-anything's; smaller models need
            less).
        stability_score_thresh (float): Minimum stability score.
            Defaults to 0.95 (segment-anything's).
        stability_score_offset (float): Logit offset of the stability
            score. Defaults to 1.0.
        nms_thresh (float): Mask IoU above which the lower-scored of two
            masks of one crop is dropped. Defaults to 0.7.
        crop_n_layers (int): Crop layers; 0 runs on the whole image only.
            Defaults to 0.
        crop_overlap_ratio (float): Crop overlap as a fraction of the
            image's shorter side (first layer). Defaults to 512 / 1500.
        crop_nms_thresh (float): Mask IoU for the suppression across crops.
            Defaults to 0.7.
        multimask_output (bool): Three candidates per point (True) or the
            single-mask output. Defaults to True.
        min_mask_area (int): Masks with fewer pixels are dropped.
            Defaults to 0.
        output_mode (str): ``'binary_mask'`` (bool arrays) or
            ``'coco_rle'`` (JSON-ready RLE). Defaults to 'binary_mask'.
    """

    def __init__(self,
                 predictor: UltraSamPredictor,
                 points_per_side: int = 16,
                 points_per_batch: int = 32,
                 pred_iou_thresh: float = 0.88,
                 stability_score_thresh: float = 0.95,
                 stability_score_offset: float = 1.0,
                 nms_thresh: float = 0.7,
                 crop_n_layers: int = 0,
                 crop_overlap_ratio: float = 512 / 1500,
                 crop_nms_thresh: float = 0.7,
                 multimask_output: bool = True,
                 min_mask_area: int = 0,
                 output_mode: str = 'binary_mask') -> None:
        if not isinstance(predictor, UltraSamPredictor):
            raise TypeError('predictor must be an UltraSamPredictor, got '
                            f'{type(predictor).__name__}')
        for name, value in (('points_per_side', points_per_side),
                            ('points_per_batch', points_per_batch)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive integer, got '
                                 f'{value!r}')
        if not isinstance(crop_n_layers, int) or crop_n_layers < 0:
            raise ValueError(f'crop_n_layers must be an integer >= 0, got '
                             f'{crop_n_layers!r}')
        for name, value in (('nms_thresh', nms_thresh),
                            ('crop_nms_thresh', crop_nms_thresh),
                            ('stability_score_thresh',
                             stability_score_thresh),
                            ('crop_overlap_ratio', crop_overlap_ratio)):
            if not 0 <= value <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {value!r}')
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f'output_mode must be one of {OUTPUT_MODES}, '
                             f'got {output_mode!r}')
        self.predictor = predictor
        self.points_per_side = points_per_side
        self.points_per_batch = points_per_batch
        self.pred_iou_thresh = pred_iou_thresh
        self.stability_score_thresh = stability_score_thresh
        self.stability_score_offset = stability_score_offset
        self.nms_thresh = nms_thresh
        self.crop_n_layers = crop_n_layers
        self.crop_overlap_ratio = crop_overlap_ratio
        self.crop_nms_thresh = crop_nms_thresh
        self.multimask_output = multimask_output
        self.min_mask_area = min_mask_area
        self.output_mode = output_mode

    def generate(self, image: np.ndarray) -> List[Dict[str, object]]:
        """Masks of ``image``, best predicted IoU first.

        Args:
            image (np.ndarray): H x W x 3 RGB or H x W gray, uint8 / uint16
                (as :meth:`UltraSamPredictor.set_image`).

        Returns:
            list[dict]: Per mask ``segmentation`` (bool (H, W) or RLE),
            ``area``, ``bbox`` (x, y, w, h), ``predicted_iou``,
            ``stability_score``, ``point_coords`` ([[x, y]]) and
            ``crop_box`` (x, y, w, h).
        """
        if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
            raise ValueError('image must be an H x W (x 3) numpy array, got '
                             f'{getattr(image, "shape", type(image))}')
        height, width = image.shape[:2]
        records: List[Dict[str, object]] = []
        for crop in crop_boxes(height, width, self.crop_n_layers,
                               self.crop_overlap_ratio):
            records += self._generate_crop(image, crop, (height, width))
        if self.crop_n_layers > 0 and records:
            keep = mask_nms([r['rle'] for r in records],
                            np.array([r['predicted_iou'] for r in records]),
                            self.crop_nms_thresh)
            records = [records[i] for i in keep]
        records.sort(key=lambda r: -r['predicted_iou'])
        return [self._output(r) for r in records]

    def _generate_crop(self, image: np.ndarray, crop: Tuple[int, int, int,
                                                            int],
                       image_size: Tuple[int, int]) -> List[Dict[str, object]]:
        x0, y0, x1, y1 = crop
        self.predictor.set_image(np.ascontiguousarray(image[y0:y1, x0:x1]))
        crop_w, crop_h = x1 - x0, y1 - y0
        # Pixel indices of the grid cells' centres inside the crop.
        points = np.floor(point_grid(self.points_per_side) *
                          np.array([crop_w, crop_h]))
        rles, scores, stabilities, prompts = [], [], [], []
        for start in range(0, len(points), self.points_per_batch):
            batch = points[start:start + self.points_per_batch]
            logits, ious, _ = self.predictor.predict_batch(
                batch[:, None], np.ones((len(batch), 1), np.int64),
                multimask_output=self.multimask_output, return_logits=True)
            logits = logits.reshape(-1, crop_h, crop_w)
            ious = ious.reshape(-1)
            threshold = self.predictor.model.test_cfg['mask_threshold']
            stability = stability_scores(logits, threshold,
                                         self.stability_score_offset)
            keep = (ious > self.pred_iou_thresh) & \
                (stability >= self.stability_score_thresh)
            candidates_per_point = logits.shape[0] // len(batch)
            for index in np.flatnonzero(keep):
                mask = logits[index] > threshold
                if mask.sum() < max(self.min_mask_area, 1) or \
                        self._cut_by_crop(mask, crop, image_size):
                    continue
                rles.append(self._uncropped_rle(mask, crop, image_size))
                scores.append(float(ious[index]))
                stabilities.append(float(stability[index]))
                x, y = batch[index // candidates_per_point]
                prompts.append([float(x + x0), float(y + y0)])
        keep = mask_nms(rles, np.array(scores), self.nms_thresh)
        return [
            dict(rle=rles[i], predicted_iou=scores[i],
                 stability_score=stabilities[i], point_coords=[prompts[i]],
                 crop_box=[x0, y0, x1 - x0, y1 - y0]) for i in keep
        ]

    @staticmethod
    def _cut_by_crop(mask: np.ndarray, crop: Tuple[int, int, int, int],
                     image_size: Tuple[int, int]) -> bool:
        """Whether the mask touches a crop border that is not the image's."""
        x0, y0, x1, y1 = crop
        height, width = image_size
        return bool((x0 > 0 and mask[:, 0].any())
                    or (y0 > 0 and mask[0].any())
                    or (x1 < width and mask[:, -1].any())
                    or (y1 < height and mask[-1].any()))

    @staticmethod
    def _uncropped_rle(mask: np.ndarray, crop: Tuple[int, int, int, int],
                       image_size: Tuple[int, int]) -> Dict[str, object]:
        x0, y0, x1, y1 = crop
        if (x0, y0, x1, y1) == (0, 0, image_size[1], image_size[0]):
            full = mask
        else:
            full = np.zeros(image_size, bool)
            full[y0:y1, x0:x1] = mask
        return mask_utils.encode(np.asfortranarray(full, dtype=np.uint8))

    def _output(self, record: Dict[str, object]) -> Dict[str, object]:
        mask = mask_utils.decode(record['rle']).astype(bool)
        x, y, w, h = mask_utils.toBbox(record['rle']).tolist()
        return dict(
            segmentation=mask if self.output_mode == 'binary_mask' else
            mask_to_rle(mask),
            area=int(mask.sum()),
            bbox=[x, y, w, h],
            predicted_iou=record['predicted_iou'],
            stability_score=record['stability_score'],
            point_coords=record['point_coords'],
            crop_box=record['crop_box'])
