"""Draw the prompts a dataset pipeline samples, to check a dataset config by eye.

Example::

    python tools/analysis_tools/browse_dataset.py CONFIG --out work_dirs/browse \
        --split train --max-images 20

Every image goes through the chosen split's pipeline (flip, resize, prompt
sampling...) and is written to ``--out`` with its masks and the sampled prompts
(positive points green, negative red, box prompts dashed), drawn by
:class:`ultrasam.visualization.PromptVisualizer`.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, NoReturn, Optional

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from mmengine.utils import ProgressBar

from mmdet.registry import DATASETS
from ultrasam.apis.cli_support import positive_int
from ultrasam.datasets import ImagePipelineError
from ultrasam.visualization import PromptVisualizer

PROG = 'browse_dataset.py'
SPLITS = ('train', 'val', 'test')
# What a bad config, annotation file or image raises; anything else is a bug
# and keeps its traceback.
DATA_ERRORS = (OSError, ValueError, KeyError, SyntaxError,
               ImagePipelineError)


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description='Draw the prompts sampled for a dataset')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--out', required=True, help='directory the drawings are written to')
    parser.add_argument(
        '--split',
        choices=SPLITS,
        default='train',
        help='dataloader whose dataset is browsed')
    parser.add_argument(
        '--max-images',
        type=positive_int,
        default=None,
        help='stop after this many images, at least 1 (default: all)')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed of the pipeline')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'train_dataloader.dataset.ann_file=x.json')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    if osp.exists(args.out) and not osp.isdir(args.out):
        parser.error(f'--out {args.out} exists and is not a directory')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        cfg = Config.fromfile(args.config)
    except DATA_ERRORS as err:
        fail(f'cannot read config {args.config}: {err}')
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))

    set_random_seed(args.seed)
    key = f'{args.split}_dataloader'
    if cfg.get(key) is None:
        # Configs without validation set val_dataloader = None.
        fail(f'{args.config}: {key} is missing or None, there is no '
             f'{args.split} split to browse; pass another --split (train, '
             'val or test)')
    try:
        dataset = DATASETS.build(cfg[key].dataset)
    except DATA_ERRORS as err:
        fail(f'cannot build the {args.split} dataset of {args.config}: {err}')
    visualizer = PromptVisualizer.get_instance('browse_dataset')
    visualizer.dataset_meta = dataset.metainfo
    os.makedirs(args.out, exist_ok=True)

    num = len(dataset) if args.max_images is None else min(
        args.max_images, len(dataset))
    progress = ProgressBar(num)
    for index in range(num):
        try:
            item = dataset[index]
        except DATA_ERRORS as err:
            fail(str(err))
        data_sample = item['data_samples']
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR->RGB
        stem = osp.splitext(osp.basename(data_sample.img_path))[0]
        visualizer.add_datasample(
            stem,
            image,
            data_sample,
            draw_pred=False,
            out_file=osp.join(args.out, f'{index:05d}_{stem}.png'))
        progress.update()


if __name__ == '__main__':
    main()
