"""Show what an MAE checkpoint reconstructs from a masked ultrasound image.

    python tools/analysis_tools/visualize_mae.py CONFIG CKPT IMAGE --out PNG \
        [--frame N] [--seed S] [--mask-ratio R] [--force]

The PNG shows, side by side: the input (resized to the model's input size), the
masked input (hidden patches black), the reconstruction, and the reconstruction
with the visible patches pasted back. The masked-patch reconstruction loss of
this image (the training loss) is printed. IMAGE may be PNG / JPEG / TIFF
(8 or 16 bit, grey, RGB or RGBA) or DICOM (``--frame`` of a cine loop).
The same seed draws the same mask.
"""
import argparse
import os
import os.path as osp
import sys
from typing import NamedTuple, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.models import MAE

from ultrasam.datasets import read_ultrasound_image
from ultrasam.utils import CheckpointError, load_model_weights, to_numpy

TOOL = 'visualize_mae.py'
_TITLES = ('input', 'masked', 'reconstruction', 'reconstruction + visible')
_MIN_PANEL = 256
_TITLE_HEIGHT = 22


class Reconstruction(NamedTuple):
    """One masked reconstruction, in the model's normalised RGB space.

    Attributes:
        inputs: ``(B, 3, S, S)`` normalised inputs.
        prediction: ``(B, 3, S, S)`` reconstruction of every patch.
        mask: ``(B, 3, S, S)`` 1 on hidden patches, 0 on visible ones.
        loss: Mean masked-patch loss per image, ``(B, )``.
    """
    inputs: torch.Tensor
    prediction: torch.Tensor
    mask: torch.Tensor
    loss: torch.Tensor


def build_mae(config: str, checkpoint: Optional[str]) -> MAE:
    """The config's MAE model, with the checkpoint loaded strictly (or
    initialised as for training when ``checkpoint`` is None).

    Raises:
        ValueError: the config's model is not an MAE.
        CheckpointError: the checkpoint cannot be read or does not fit.
    """
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope') or 'mmdet')
    model = MODELS.build(cfg.model)
    if not isinstance(model, MAE):
        raise ValueError(f'{config}: the model is a {type(model).__name__}, '
                         'not an mmpretrain MAE')
    if checkpoint is None:
        model.init_weights()
    else:
        load_model_weights(model, checkpoint, strict=True)
    return model.eval()


def prepare_images(model: MAE, images: Sequence[np.ndarray]) -> torch.Tensor:
    """BGR ``uint8`` images -> the normalised batch the model trains on
    (square resize to its input size, its data preprocessor)."""
    size = model.backbone.patch_resolution[0] * model.head.patch_size
    batch = torch.stack([
        torch.from_numpy(
            cv2.resize(image, (size, size),
                       interpolation=cv2.INTER_AREA).transpose(2, 0, 1).copy())
        for image in images
    ])
    return model.data_preprocessor(dict(inputs=batch, data_samples=None),
                                   False)['inputs']


@torch.no_grad()
def reconstruct(model: MAE, inputs: torch.Tensor,
                seed: int = 0) -> Reconstruction:
    """Mask ``inputs`` (seeded) and reconstruct them.

    Args:
        model (MAE): An mmpretrain MAE in eval mode.
        inputs (torch.Tensor): Normalised ``(B, 3, S, S)`` images.
        seed (int): Seeds the masks. Defaults to 0.
    """
    generator_state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        latent, mask, ids_restore = model.backbone(inputs)
    finally:
        torch.set_rng_state(generator_state)
    prediction = model.neck(latent, ids_restore)
    head = model.head
    target = head.construct_target(inputs)
    loss = ((prediction - target)**2).mean(dim=-1)
    loss = (loss * mask).sum(dim=1) / mask.sum(dim=1)
    if head.norm_pix:
        # Back from per-patch normalised targets to pixels.
        patches = head.patchify(inputs)
        prediction = (prediction * (patches.var(dim=-1, keepdim=True) +
                                    1.e-6)**.5 +
                      patches.mean(dim=-1, keepdim=True))
    patch_mask = mask[..., None].expand(-1, -1, head.patch_size**2 *
                                        head.in_channels)
    return Reconstruction(inputs, head.unpatchify(prediction),
                          head.unpatchify(patch_mask), loss)


def to_images(model: MAE, tensor: torch.Tensor) -> np.ndarray:
    """Normalised RGB ``(B, 3, S, S)`` -> ``(B, S, S, 3)`` BGR ``uint8``."""
    preprocessor = model.data_preprocessor
    pixels = tensor * preprocessor.std + preprocessor.mean
    images = to_numpy(pixels.clamp(0, 255).round().byte()).transpose(
        0, 2, 3, 1)
    return np.ascontiguousarray(images[..., ::-1])


def panels(model: MAE, result: Reconstruction) -> np.ndarray:
    """The four panels of the first image, titled, side by side."""
    visible = 1 - result.mask
    views = [
        result.inputs, result.inputs * visible +
        result.mask * _black(model), result.prediction,
        result.inputs * visible + result.prediction * result.mask
    ]
    tiles = []
    for title, view in zip(_TITLES, views):
        image = to_images(model, view[:1])[0]
        scale = max(1, -(-_MIN_PANEL // image.shape[0]))
        image = cv2.resize(image, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_NEAREST)
        header = np.full((_TITLE_HEIGHT, image.shape[1], 3), 255, np.uint8)
        cv2.putText(header, title, (4, _TITLE_HEIGHT - 7),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.vstack([header, image]))
    return np.hstack(tiles)


def _black(model: MAE) -> torch.Tensor:
    """Black in the normalised space."""
    preprocessor = model.data_preprocessor
    return -preprocessor.mean / preprocessor.std


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=TOOL, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='MAE config file')
    parser.add_argument('checkpoint', help='MAE checkpoint (e.g. from '
                        'tools/train.py with the config)')
    parser.add_argument('image', help='PNG / JPEG / TIFF / DICOM image')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--frame', type=int, default=None,
                        help='frame of a multi-frame DICOM (0-based)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random mask (default 0)')
    parser.add_argument('--mask-ratio', type=float, default=None,
                        help="share of patches hidden (default: the "
                        "config's)")
    parser.add_argument('--force', action='store_true',
                        help='replace an existing --out')
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> Optional[str]:
    """Why the arguments cannot work, or None (checked before building)."""
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint),
                       ('image', args.image)):
        if not osp.isfile(path):
            return f'{what} {path} not found'
    if not args.out.lower().endswith('.png'):
        return f'--out {args.out} must be a .png file name'
    if osp.isdir(args.out):
        return f'--out {args.out} is a directory; give a .png file name'
    for path in (args.image, args.checkpoint, args.config):
        if osp.exists(args.out) and osp.samefile(path, args.out):
            return f'--out {args.out} is the input {path}; choose another'
    if osp.lexists(args.out) and not args.force:
        return f'--out {args.out} exists; pass --force to replace it'
    if args.mask_ratio is not None and not 0 < args.mask_ratio < 1:
        return f'--mask-ratio must be in (0, 1), got {args.mask_ratio}'
    return None


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    problem = check_args(args)
    if problem is not None:
        sys.exit(f'{TOOL}: error: {problem}')
    try:
        image = read_ultrasound_image(args.image, args.frame)
    except (OSError, ValueError) as err:
        sys.exit(f'{TOOL}: error: cannot read image: {err}')
    try:
        model = build_mae(args.config, args.checkpoint)
    except (CheckpointError, ValueError) as err:
        sys.exit(f'{TOOL}: error: {err}')
    if args.mask_ratio is not None:
        model.backbone.mask_ratio = args.mask_ratio
    result = reconstruct(model, prepare_images(model, [image]), args.seed)
    canvas = panels(model, result)
    directory = osp.dirname(osp.abspath(args.out))
    os.makedirs(directory, exist_ok=True)
    temporary = osp.join(directory, f'.{osp.basename(args.out)}.tmp.png')
    if not cv2.imwrite(temporary, canvas):
        sys.exit(f'{TOOL}: error: cannot write {args.out}')
    os.replace(temporary, args.out)
    print(f'{args.out}: masked-patch loss {float(result.loss[0]):.4f} '
          f'(mask ratio {model.backbone.mask_ratio}, seed {args.seed})')


if __name__ == '__main__':
    main()
