"""Masked-patch reconstruction loss of MAE checkpoints on held-out images.

``python tests/mae/heldout_loss.py CONFIG IMAGE_DIR [CKPT ...]`` prints, for
the untrained model (seed 0) and each checkpoint, the mean loss over the images
of IMAGE_DIR with fixed masks, and the loss of a baseline that fills every
hidden patch with the mean of the visible pixels: the figures of the README
(MAE pretraining, CPU proof). ``test_mae_phantom_pretraining.py`` asserts on
the same measurement.
"""
import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from ultrasam.datasets import read_ultrasound_image

VISUALIZER = (Path(__file__).resolve().parents[2] / 'tools' /
              'analysis_tools' / 'visualize_mae.py')


def load_visualizer() -> ModuleType:
    """tools/analysis_tools/visualize_mae.py as a module."""
    spec = importlib.util.spec_from_file_location('visualize_mae', VISUALIZER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def heldout_losses(visualize: ModuleType, model: torch.nn.Module,
                   images: List[np.ndarray]) -> Dict[str, float]:
    """Mean masked-patch loss (fixed masks, seed 0): the model's, and the
    visible-mean baseline's."""
    inputs = visualize.prepare_images(model, images)
    result = visualize.reconstruct(model, inputs, seed=0)
    visible = 1 - result.mask
    mean = ((inputs * visible).sum(dim=(2, 3), keepdim=True) /
            visible.sum(dim=(2, 3), keepdim=True))
    error = ((mean - inputs)**2 * result.mask).sum(dim=(1, 2, 3))
    baseline = error / result.mask.sum(dim=(1, 2, 3))
    return dict(model=float(result.loss.mean()),
                baseline=float(baseline.mean()))


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('image_dir')
    parser.add_argument('checkpoints', nargs='*')
    args = parser.parse_args(argv)
    images = [read_ultrasound_image(str(path))
              for path in sorted(Path(args.image_dir).glob('*.png'))]
    visualize = load_visualizer()
    torch.manual_seed(0)
    rows = [('untrained', visualize.build_mae(args.config, None))]
    rows += [(checkpoint, visualize.build_mae(args.config, checkpoint))
             for checkpoint in args.checkpoints]
    print(f'{len(images)} images of {args.image_dir}')
    for name, model in rows:
        losses = heldout_losses(visualize, model, images)
        print(f'{name}: loss {losses["model"]:.4f} (visible-mean baseline '
              f'{losses["baseline"]:.4f})')


if __name__ == '__main__':
    sys.exit(main())
