"""Which prompt an instance received; shared by transforms, model and metrics.

Prompts travel in ``DetDataSample.gt_instances`` (all in input-image pixels, i.e. after
resize / flip, the frame of ``gt_instances.masks``):

- ``point_coords`` (N, K, 2) float, (x, y) = (column, row) pixel indices.
- ``point_labels`` (N, K) long: 1 positive, 0 negative, -1 padding (ignored).
- ``prompt_boxes`` (N, 4) float, (x1, y1, x2, y2) pixel indices of the first / last
  column and row of the object (segment-anything's convention, not mmdet's ``+1``).
- ``prompt_types`` (N,) long, a :class:`PromptType` value per instance.
"""
from enum import IntEnum


class PromptType(IntEnum):
    """Prompt given to one instance."""
    POINT = 0
    BOX = 1
    POINT_AND_BOX = 2


PROMPT_TYPE_NAMES = {t.value: t.name.lower() for t in PromptType}
