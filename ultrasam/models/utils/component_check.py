"""Early check that an UltraSam's encoder, prompt encoder and decoder fit."""
from torch import nn


def check_components_fit(backbone: nn.Module, prompt_encoder: nn.Module,
                         mask_decoder: nn.Module) -> None:
    """Fail at build time when the three configs do not fit together.

    Args:
        backbone (nn.Module): Image encoder (``out_channels``, ``img_size``
            and ``patch_resolution`` are checked when it has them).
        prompt_encoder (nn.Module): :class:`SamPromptEncoder`.
        mask_decoder (nn.Module): :class:`SamMaskDecoder`.
    """
    dims = dict(
        backbone_out_channels=getattr(backbone, 'out_channels', None),
        prompt_encoder_embed_dims=prompt_encoder.embed_dims,
        mask_decoder_embed_dims=mask_decoder.embed_dims)
    if len({d for d in dims.values() if d is not None}) > 1:
        raise ValueError(f'embedding channels disagree: {dims}')
    img_size = getattr(backbone, 'img_size', None)
    if img_size is not None and \
            tuple(img_size) != tuple(prompt_encoder.input_image_size):
        raise ValueError(
            f'input sizes disagree: backbone img_size {tuple(img_size)}, '
            'prompt_encoder input_image_size '
            f'{tuple(prompt_encoder.input_image_size)}')
    grid = getattr(backbone, 'patch_resolution', None)
    if grid is not None and \
            tuple(grid) != tuple(prompt_encoder.image_embedding_size):
        raise ValueError(
            f'backbone patch grid {tuple(grid)} != prompt_encoder '
            f'image_embedding_size {prompt_encoder.image_embedding_size}')
