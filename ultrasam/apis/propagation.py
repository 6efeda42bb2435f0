"""Propagation of a prompt through a cine loop: segment one frame from the
user's prompt, then every next and previous frame from the mask of its
neighbour."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .automatic_mask_generator import stability_scores
from .predictor import UltraSamPredictor

#: Keys a prompt dict may have (``UltraSamPredictor.predict`` arguments).
PROMPT_KEYS = ('point_coords', 'point_labels', 'box')
#: Frame states of :class:`PropagationResult`.
STATUSES = ('prompt', 'propagated', 'stopped')


@dataclass
class PropagationResult:
    """Masks of a loop and how each was obtained.

    Args:
        masks (np.ndarray): (T, H, W) bool; empty on stopped frames.
        ious (np.ndarray): (T,) predicted IoU; NaN on stopped frames.
        stability (np.ndarray): (T,) stability score of the mask (IoU of the
            masks at the mask threshold +- 1 logit, as SAM's); NaN on stopped
            frames.
        status (list[str]): Per frame, one of :data:`STATUSES`: segmented
            from the user's prompt, propagated from a neighbour, or not
            segmented because propagation stopped before it.
        frame (int): The prompted frame.
        stop_reasons (dict): ``'forward'`` / ``'backward'`` -> why
            propagation stopped in that direction (absent when it reached
            the end of the loop).
    """
    masks: np.ndarray
    ious: np.ndarray
    stability: np.ndarray
    status: List[str]
    frame: int
    stop_reasons: Dict[str, str] = field(default_factory=dict)


def mask_prompts(mask: np.ndarray,
                 margin: float = 0.1) -> Dict[str, np.ndarray]:
    """Box and interior point prompts derived from a mask.

    Args:
        mask (np.ndarray): (H, W) bool, not empty.
        margin (float): The box is the mask's box grown by this fraction of
            its size on each side (at least 2 px), clipped to the image, so
            that an object that moved or grew stays inside it.

    Returns:
        dict: ``point_coords`` (1, 2): the mask pixel farthest from its
        border, ``point_labels`` (1,): positive, ``box`` (4,).
    """
    rows, cols = np.nonzero(mask)
    height, width = mask.shape
    grow_x = max(2.0, margin * (cols.max() - cols.min() + 1))
    grow_y = max(2.0, margin * (rows.max() - rows.min() + 1))
    box = np.array([
        max(cols.min() - grow_x, 0),
        max(rows.min() - grow_y, 0),
        min(cols.max() + grow_x, width - 1),
        min(rows.max() + grow_y, height - 1)
    ])
    distance = cv2.distanceTransform(
        np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(distance)), mask.shape)
    return dict(point_coords=np.array([[x, y]], np.float64),
                point_labels=np.array([1]), box=box)


def propagate(predictor: UltraSamPredictor,
              frames: Sequence[np.ndarray],
              prompts: Dict[str, np.ndarray],
              frame: int = 0,
              min_iou: float = 0.5,
              collapse: float = 0.6,
              min_stability: float = 0.5,
              box_margin: float = 0.1,
              use_mask_prompt: bool = True) -> PropagationResult:
    """Segment frame ``frame`` of a loop from ``prompts``, then propagate.

    Each next (and previous) frame is segmented with prompts derived from
    its neighbour's mask (:func:`mask_prompts`: a box and an interior point)
    plus, with ``use_mask_prompt``, the neighbour's low-resolution logits as
    mask prompt. Propagation in a direction stops when the prediction
    collapses: a predicted IoU below ``min_iou`` or below ``collapse`` times
    the predicted IoU of the prompted frame, a stability score below
    ``min_stability`` (the logits hover around the threshold: nothing
    object-like is there), or an empty mask. The frames beyond are left
    unsegmented (a lost object is not followed into the wrong structure).

    Args:
        predictor (UltraSamPredictor): The model.
        frames (Sequence[np.ndarray]): T frames, H x W x 3 RGB or H x W
            gray, uint8 or uint16, all of one size.
        prompts (dict): Prompts of frame ``frame``: ``point_coords`` (K, 2)
            and ``point_labels`` (K,), and / or ``box`` (4,), in pixels.
        frame (int): Index of the prompted frame. Defaults to 0.
        min_iou (float): Stop below this predicted IoU. Defaults to 0.5.
        collapse (float): Stop below this fraction of the prompted frame's
            predicted IoU. Defaults to 0.6.
        min_stability (float): Stop below this stability score. Defaults
            to 0.5.
        box_margin (float): Growth of the derived box, see
            :func:`mask_prompts`. Defaults to 0.1.
        use_mask_prompt (bool): Feed the neighbour's logits as mask prompt.
            Defaults to True.

    Returns:
        PropagationResult: masks, predicted IoUs and status of every frame.
    """
    num = len(frames)
    if num == 0:
        raise ValueError('frames is empty: nothing to segment')
    if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) \
            or not 0 <= frame < num:
        raise ValueError(f'frame must be an integer in 0..{num - 1}, got '
                         f'{frame!r}')
    unknown = sorted(set(prompts) - set(PROMPT_KEYS))
    if unknown or not prompts:
        raise ValueError(f'prompts must have keys among {PROMPT_KEYS}, got '
                         f'{sorted(prompts)}')
    shapes = {np.shape(f)[:2] for f in frames}
    if len(shapes) != 1:
        raise ValueError(
            f'all frames must have one size, got {sorted(shapes)}')
    for name, value in (('min_iou', min_iou), ('collapse', collapse),
                        ('min_stability', min_stability)):
        if not 0 <= value <= 1:
            raise ValueError(f'{name} must be in [0, 1], got {value!r}')
    height, width = shapes.pop()
    masks = np.zeros((num, height, width), bool)
    ious = np.full(num, np.nan)
    stability = np.full(num, np.nan)
    status = ['stopped'] * num
    threshold = predictor.model.test_cfg['mask_threshold']

    predictor.set_image(frames[frame])
    single_point = prompts.get('box') is None and len(
        np.reshape(prompts.get('point_coords', []), (-1, 2))) == 1
    candidates, scores, logits = predictor.predict(
        **prompts, multimask_output=single_point, return_logits=True)
    best = int(np.argmax(scores))
    masks[frame], ious[frame] = candidates[best] > threshold, scores[best]
    stability[frame] = stability_scores(candidates[best:best + 1], threshold,
                                        1.0)[0]
    status[frame] = 'prompt'
    result = PropagationResult(masks, ious, stability, status, frame)
    if not masks[frame].any():
        result.stop_reasons['forward'] = result.stop_reasons['backward'] = (
            f'the prompted frame {frame} gave an empty mask')
        return result
    iou_floor = max(min_iou, collapse * float(ious[frame]))
    for direction, step in (('forward', 1), ('backward', -1)):
        previous_mask, previous_logits = masks[frame], logits[best]
        for index in range(frame + step, num if step > 0 else -1, step):
            predictor.set_image(frames[index])
            up, iou, low_res = predictor.predict(
                **mask_prompts(previous_mask, box_margin),
                mask_input=previous_logits[None] if use_mask_prompt else None,
                multimask_output=False, return_logits=True)
            mask, iou = up[0] > threshold, float(iou[0])
            stable = float(stability_scores(up, threshold, 1.0)[0])
            reason = _stop_reason(mask, iou, stable, iou_floor, min_stability)
            if reason:
                result.stop_reasons[direction] = f'frame {index}: {reason}'
                break
            masks[index], ious[index], stability[index] = mask, iou, stable
            status[index] = 'propagated'
            previous_mask, previous_logits = mask, low_res[0]
    return result


def _stop_reason(mask: np.ndarray, iou: float, stability: float,
                 iou_floor: float, min_stability: float) -> Optional[str]:
    """Why propagation stops at a prediction, or None."""
    if not mask.any():
        return 'empty mask'
    if iou < iou_floor:
        return (f'predicted IoU {iou:.3f} below the stop threshold '
                f'{iou_floor:.3f}')
    if stability < min_stability:
        return (f'stability score {stability:.3f} below {min_stability:g}: '
                'the object is lost')
    return None
