"""Point prompts sampled from instance masks."""
from typing import Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS
from ...structures import PromptType
from .instance_utils import (check_count, draw_count, drop_empty_masks,
                             mask_extent)

SAMPLING_MODES = ('random', 'interior')


@TRANSFORMS.register_module()
class PointsFromMasks(BaseTransform):
    """Sample positive (and optionally negative) point prompts from instance masks.

    Must come after every geometric transform (flip, resize, crop): points are
    pixel indices ``(x, y) = (column, row)`` in the frame of ``gt_masks``.

    ``sampling='random'`` (training) draws distinct foreground pixels uniformly.
    ``sampling='interior'`` (testing) is deterministic: the first point is the pixel
    farthest from the mask boundary (a maximum of the distance transform, which,
    unlike the centroid, is always inside a non-convex mask); further points are
    chosen farthest from both the boundary and the points already chosen. The
    image border counts as boundary.

    Negative points come from the background near the object: the ring between the
    mask and its tight box enlarged by ``neg_margin`` times the box side, clipped to
    the image. They are drawn with the same rule as positive points.

    Instances with an empty mask are dropped (they cannot be prompted). When
    ``gt_prompt_types`` is present (:class:`RandomPromptType` ran before), only
    ``POINT`` and ``POINT_AND_BOX`` instances get points; the others get padding.

    Required Keys:

    - gt_masks
    - gt_prompt_types (optional)

    Modified Keys:

    - all per-instance keys (instances with an empty mask are dropped)

    Added Keys:

    - gt_point_coords (np.float32, (N, K, 2)): positives first, then negatives,
      then padding; ``K = max(1, largest number of points of an instance)``.
    - gt_point_labels (np.int64, (N, K)): 1 positive, 0 negative, -1 padding.

    Args:
        num_points (int | tuple[int, int]): Positive points per instance, or an
            inclusive range drawn per instance. A mask with fewer pixels gets all of
            them. Defaults to 1.
        sampling (str): ``'random'`` or ``'interior'``. Defaults to ``'random'``.
        num_neg_points (int | tuple[int, int]): Negative points per instance, or an
            inclusive range. Defaults to 0.
        neg_margin (float): Width of the negative-point ring as a fraction of the
            box side (at least one pixel). Defaults to 0.2.
    """

    def __init__(self,
                 num_points: Union[int, Tuple[int, int]] = 1,
                 sampling: str = 'random',
                 num_neg_points: Union[int, Tuple[int, int]] = 0,
                 neg_margin: float = 0.2) -> None:
        if sampling not in SAMPLING_MODES:
            raise ValueError(f'sampling must be one of {SAMPLING_MODES}, '
                             f'got {sampling!r}')
        if neg_margin <= 0:
            raise ValueError(f'neg_margin must be > 0, got {neg_margin}')
        self.num_points = check_count('num_points', num_points, 1)
        self.num_neg_points = check_count('num_neg_points', num_neg_points, 0)
        self.sampling = sampling
        self.neg_margin = neg_margin

    def transform(self, results: dict) -> dict:
        """Add ``gt_point_coords`` and ``gt_point_labels``."""
        masks = drop_empty_masks(results, self.__class__.__name__)
        types = results.get('gt_prompt_types')
        if types is None:
            wants_points = np.ones(len(masks), bool)
        else:
            wants_points = np.isin(
                types, (PromptType.POINT, PromptType.POINT_AND_BOX))
        per_instance = []
        for mask, wanted in zip(masks, wants_points):
            pos = neg = np.zeros((0, 2), np.float32)
            if wanted:
                pos = self._sample(mask, draw_count(self.num_points))
                num_neg = draw_count(self.num_neg_points)
                if num_neg:
                    neg = self._sample_negatives(mask, num_neg)
            labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
            per_instance.append((np.concatenate([pos, neg]), labels))

        num_slots = max([1] + [len(p) for p, _ in per_instance])
        coords = np.zeros((len(masks), num_slots, 2), np.float32)
        labels = np.full((len(masks), num_slots), -1, np.int64)
        for i, (points, point_labels) in enumerate(per_instance):
            coords[i, :len(points)] = points
            labels[i, :len(points)] = point_labels
        results['gt_point_coords'] = coords
        results['gt_point_labels'] = labels
        return results

    def _sample(self,
                region: np.ndarray,
                k: int,
                offset: Tuple[int, int] = (0, 0)) -> np.ndarray:
        """Up to ``k`` ``(x, y)`` points of the non-zero pixels of ``region``."""
        if self.sampling == 'interior':
            points = interior_points(region, k)
        else:
            extent = mask_extent(region)
            if extent is None:
                return np.zeros((0, 2), np.float32)
            x1, y1, x2, y2 = extent
            ys, xs = np.nonzero(region[y1:y2 + 1, x1:x2 + 1])
            if k == 1:
                idx = np.random.randint(len(ys), size=1)
            else:
                idx = np.random.choice(len(ys), min(k, len(ys)), replace=False)
            points = np.stack([xs[idx] + x1, ys[idx] + y1], axis=1)
        return (points + np.asarray(offset)).astype(np.float32)

    def _sample_negatives(self, mask: np.ndarray, k: int) -> np.ndarray:
        """Points of the background ring around the object."""
        left, top, right, bottom = mask_extent(mask)
        height, width = mask.shape
        margin_y = max(1, round(self.neg_margin * (bottom - top + 1)))
        margin_x = max(1, round(self.neg_margin * (right - left + 1)))
        y0, y1 = max(0, top - margin_y), min(height, bottom + margin_y + 1)
        x0, x1 = max(0, left - margin_x), min(width, right + margin_x + 1)
        ring = (mask[y0:y1, x0:x1] == 0).astype(np.uint8)
        return self._sample(ring, k, offset=(x0, y0))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_points={self.num_points}, '
                f'sampling={self.sampling!r}, '
                f'num_neg_points={self.num_neg_points}, '
                f'neg_margin={self.neg_margin})')


def interior_points(region: np.ndarray, k: int) -> np.ndarray:
    """Deterministic points far inside a binary region.

    The first point is a pixel farthest from the region boundary (the array border
    counts as boundary); among equally deep pixels (e.g. the medial segment of a
    rectangle) the one nearest to their mean position. Each further point is the
    pixel of the region's core (pixels at least half as deep as the first point)
    farthest from the points already chosen, so that points spread over the object
    without touching its border. Ties go to the first pixel in raster order.

    Args:
        region (np.ndarray): ``(H, W)`` binary array.
        k (int): Number of points wanted; fewer are returned for regions with
            fewer pixels.

    Returns:
        np.ndarray: ``(k', 2)`` integer ``(x, y)`` pixel indices, ``k' <= k``.
    """
    extent = mask_extent(region)
    if extent is None:
        return np.zeros((0, 2), np.int64)
    # Working on the bounding box gives the same distances, faster.
    x0, y0, x1, y1 = extent
    crop = region[y0:y1 + 1, x0:x1 + 1].astype(np.uint8)
    # A zero border makes pixels on the array border count as boundary pixels.
    padded = cv2.copyMakeBorder(crop, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    depth = cv2.distanceTransform(padded, cv2.DIST_L2,
                                  cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    deepest = np.argwhere(depth >= depth.max() - 1e-4)  # (row, col)
    nearest = np.argmin(((deepest - deepest.mean(axis=0))**2).sum(axis=1))
    points = [tuple(deepest[nearest])]
    if k > 1:
        core = np.argwhere(depth >= 0.5 * depth.max())
        gap = np.full(len(core), np.inf)
        for _ in range(min(k, len(core)) - 1):
            gap = np.minimum(gap, ((core - points[-1])**2).sum(axis=1))
            if gap.max() <= 0:
                break
            points.append(tuple(core[np.argmax(gap)]))
    return np.array([(x + x0, y + y0) for y, x in points], np.int64)
