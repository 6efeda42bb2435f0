"""Box prompts from instance masks, optionally jittered."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS
from .instance_utils import drop_empty_masks, tight_boxes


@TRANSFORMS.register_module()
class BoxesFromMasks(BaseTransform):
    """Box prompts: the tight box of each mask, optionally jittered.

    Must come after every geometric transform: the box is computed from
    ``gt_masks`` in their current frame, not taken from the annotation's ``bbox``
    (which may disagree with the mask in files found in the wild, and is not exact
    after resizing).

    Jitter follows segment-anything's training recipe: each coordinate moves by
    Gaussian noise with a standard deviation of ``jitter_ratio`` times the box side
    along that axis, each move clipped to ``max_jitter`` pixels; the result is
    clipped to the image and kept ordered (``x1 <= x2``, ``y1 <= y2``). Use
    ``jitter_ratio=0`` at test time.

    Instances with an empty mask are dropped (they cannot be prompted).

    Required Keys:

    - gt_masks

    Modified Keys:

    - all per-instance keys (instances with an empty mask are dropped)

    Added Keys:

    - gt_prompt_boxes (np.float32, (N, 4)): ``(x1, y1, x2, y2)`` first / last
      column and row of the object (segment-anything's convention).

    Args:
        jitter_ratio (float): Noise standard deviation as a fraction of the box
            side. Defaults to 0.1.
        max_jitter (float): Largest move of one coordinate, in pixels.
            Defaults to 20.
    """

    def __init__(self,
                 jitter_ratio: float = 0.1,
                 max_jitter: float = 20.) -> None:
        if jitter_ratio < 0 or max_jitter < 0:
            raise ValueError('jitter_ratio and max_jitter must be >= 0, got '
                             f'{jitter_ratio} and {max_jitter}')
        self.jitter_ratio = jitter_ratio
        self.max_jitter = max_jitter

    def transform(self, results: dict) -> dict:
        """Add ``gt_prompt_boxes``."""
        masks = drop_empty_masks(results, self.__class__.__name__)
        boxes = tight_boxes(masks)
        if self.jitter_ratio > 0 and self.max_jitter > 0 and len(boxes):
            sides = np.concatenate(
                [boxes[:, 2:] - boxes[:, :2] + 1] * 2, axis=1)
            noise = np.random.normal(
                size=boxes.shape) * self.jitter_ratio * sides
            boxes = boxes + np.clip(noise, -self.max_jitter, self.max_jitter)
            height, width = masks.shape[1:]
            boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width - 1)
            boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height - 1)
            boxes = np.concatenate([
                np.minimum(boxes[:, :2], boxes[:, 2:]),
                np.maximum(boxes[:, :2], boxes[:, 2:])
            ],
                                   axis=1)
        results['gt_prompt_boxes'] = boxes.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(jitter_ratio={self.jitter_ratio}, '
                f'max_jitter={self.max_jitter})')
