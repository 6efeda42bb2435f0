"""UltraSam with whole parts frozen by config (e.g. the decoder while LoRA tunes the encoder)."""
from typing import Sequence

from mmdet.registry import MODELS
from ..ultrasam import UltraSam


@MODELS.register_module()
class PartlyFrozenUltraSam(UltraSam):
    """:class:`UltraSam` whose named parts do not train.

    The parameters of every part in ``frozen`` stop requiring gradients and
    the part stays in eval mode during training. Together with a
    ``mmpretrain.LoRAModel`` backbone this gives the PEFT options of the
    classification configs for promptable segmentation: LoRA on the encoder
    with the decoder trained (``frozen=()``) or frozen
    (``frozen=('prompt_encoder', 'mask_decoder')``); see
    ``configs/ultrasam/peft/``. Checkpoints keep the parameter names of
    :class:`UltraSam` (a LoRA backbone saves only its LoRA weights).

    Args:
        frozen (Sequence[str]): Names of parts to freeze, among
            ``'backbone'``, ``'prompt_encoder'`` and ``'mask_decoder'``.
        **kwargs: :class:`UltraSam` arguments.
    """

    PARTS = ('backbone', 'prompt_encoder', 'mask_decoder')

    def __init__(self, frozen: Sequence[str] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        unknown = [name for name in frozen if name not in self.PARTS]
        if unknown:
            raise ValueError(f'PartlyFrozenUltraSam: frozen={list(frozen)} '
                             f'names {unknown}; the parts are {self.PARTS}')
        self.frozen = tuple(frozen)
        for name in self.frozen:
            for parameter in getattr(self, name).parameters():
                parameter.requires_grad = False

    def train(self, mode: bool = True) -> 'PartlyFrozenUltraSam':
        """Set the training mode, keeping the frozen parts in eval mode."""
        super().train(mode)
        for name in self.frozen:
            getattr(self, name).eval()
        return self
