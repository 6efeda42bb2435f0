"""Random choice of the prompt type of each instance."""
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS
from ...structures import PROMPT_TYPE_NAMES

_TYPE_BY_NAME = {name: value for value, name in PROMPT_TYPE_NAMES.items()}


@TRANSFORMS.register_module()
class RandomPromptType(BaseTransform):
    """Draw the prompt type (point, box or both) of every instance.

    The draw is independent per instance and recorded in ``gt_prompt_types``, so
    that :class:`PointsFromMasks` samples points only where needed, the model knows
    which prompt to use and the metrics can be split by prompt type. UltraSam
    trains with ``prob=dict(point=0.5, box=0.5)``.

    Required Keys:

    - gt_masks (only its length is used)

    Added Keys:

    - gt_prompt_types (np.int64, (N,)): a
      :class:`ultrasam.structures.PromptType` value per instance.

    Args:
        prob (dict[str, float]): Probability of each prompt type, keyed by
            ``'point'``, ``'box'`` and ``'point_and_box'``; missing types have
            probability 0. Must sum to 1. Defaults to
            ``dict(point=0.5, box=0.5)``.
    """

    def __init__(self, prob: Optional[Dict[str, float]] = None) -> None:
        prob = dict(point=0.5, box=0.5) if prob is None else dict(prob)
        unknown = set(prob) - set(_TYPE_BY_NAME)
        if unknown:
            raise ValueError(
                f'unknown prompt type(s) {sorted(unknown)} in '
                f'prob; expected keys among {sorted(_TYPE_BY_NAME)}')
        if any(p < 0 for p in prob.values()) or not np.isclose(
                sum(prob.values()), 1.0):
            raise ValueError('prob must hold non-negative probabilities '
                             f'summing to 1, got {prob}')
        self.prob = prob
        self._types = np.array([_TYPE_BY_NAME[name] for name in prob],
                               np.int64)
        self._probs = np.array(list(prob.values()), np.float64)
        self._probs /= self._probs.sum()

    def transform(self, results: dict) -> dict:
        """Add ``gt_prompt_types``."""
        num = len(results['gt_masks'])
        draws = np.random.choice(len(self._types), size=num, p=self._probs)
        results['gt_prompt_types'] = self._types[draws]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
