"""Keep ground-truth masks at the original resolution for evaluation."""
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class KeepOriginalMasks(BaseTransform):
    """Keep the instance masks at the original resolution for evaluation.

    The model predicts masks at the original image resolution, while ``gt_masks`` is
    resized, flipped and padded with the image. Put this transform right after
    ``LoadAnnotations`` in test / validation pipelines: the masks are stored under
    ``ori_gt_masks``, which geometric transforms do not touch but the prompt
    transforms keep aligned when they drop instances, and
    :class:`PackPromptInputs` packs them as ``gt_instances.ori_masks``, which
    :class:`ultrasam.evaluation.DiceIoUMetric` and
    :class:`ultrasam.evaluation.PromptCocoMetric` compare the predictions with.
    Not needed for training (it costs one mask copy per instance).

    Required Keys:

    - gt_masks

    Added Keys:

    - ori_gt_masks (BitmapMasks | PolygonMasks): ``gt_masks`` as loaded.
    """

    def transform(self, results: dict) -> dict:
        """Add ``ori_gt_masks``."""
        if 'gt_masks' not in results:
            raise KeyError('KeepOriginalMasks needs gt_masks: put '
                           'LoadAnnotations(with_mask=True) before it')
        # mmdet's geometric transforms return new mask objects rather than editing
        # them in place, so a reference is enough.
        results['ori_gt_masks'] = results['gt_masks']
        return results
