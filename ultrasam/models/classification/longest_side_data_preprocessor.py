"""Classifier input: resize the longest side to a size, pad to a square, normalise."""
import torch
import torch.nn.functional as F
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class LongestSideClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that first resizes every image so that its
    longest side is ``size`` (aspect ratio kept, bilinear with anti-aliasing,
    on the model's device), then pads it at the bottom and right to
    ``size x size`` after normalisation (zeros, i.e. the mean colour), as SAM
    prepares its 1024 x 1024 input.

    The input size is thus a model setting: the data pipelines only load and
    augment, and a config changes the size with
    ``model=dict(data_preprocessor=dict(size=512), backbone=dict(img_size=512))``.

    Args:
        size (int): Side of the square model input.
        **kwargs: ``ClsDataPreprocessor`` arguments (``mean``, ``std``,
            ``to_rgb``, ...); ``pad_size_divisor`` is ``size``.
    """

    def __init__(self, size: int, **kwargs) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f'size must be a positive integer, got {size!r}')
        if kwargs.pop('pad_size_divisor', size) != size:
            raise ValueError('LongestSideClsDataPreprocessor pads to size; do '
                             'not set pad_size_divisor')
        super().__init__(pad_size_divisor=size, **kwargs)
        self.size = size

    def forward(self, data: dict, training: bool = False) -> dict:
        """Resize, then normalise and pad (``ClsDataPreprocessor.forward``)."""
        inputs = self.cast_data(data['inputs'])
        if isinstance(inputs, torch.Tensor):
            inputs = self._resize(inputs)
        else:
            inputs = [self._resize(image[None])[0] for image in inputs]
        return super().forward(dict(data, inputs=inputs), training)

    def _resize(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) images of one size, longest side to ``size``."""
        height, width = images.shape[-2:]
        scale = self.size / max(height, width)
        target = (max(1, round(height * scale)), max(1, round(width * scale)))
        if target == (height, width):
            return images
        return F.interpolate(
            images.float(),
            size=target,
            mode='bilinear',
            align_corners=False,
            antialias=True)
