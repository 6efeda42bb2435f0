"""Train a model with an MMEngine config (MMDetection conventions).

Examples:
    python tools/train.py configs/ultrasam/ultrasam_vitt_phantom.py
    python tools/train.py CONFIG --resume                # from work_dir/last_checkpoint
    python tools/train.py CONFIG --cfg-options train_cfg.max_iters=100
    tools/dist_train.sh CONFIG 2                         # DDP (gloo on CPU-only machines)

Before anything is built, missing annotation files and checkpoints (``load_from``,
Pretrained ``init_cfg``) are reported one line each with the command that makes them,
and ``--cfg-options`` setting a top-level variable that nothing reads draw a warning.
"""
import argparse
import os
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ultrasam.engine import setup_cpu_distributed
from ultrasam.utils.preflight import (build_run_config, data_errors_as_exit,
                                      exit_on_problems,
                                      missing_input_files)

TOOL = 'train.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true',
        help='enable automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate with the total batch size '
        '(needs auto_scale_lr.base_batch_size in the config)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, xxx=yyy format; lists as key="[a,b]"')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    cfg = build_run_config(args.config, args.cfg_options, args.launcher,
                           args.work_dir, TOOL)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            exit_on_problems(TOOL, [
                f'--auto-scale-lr: {args.config} has no '
                'auto_scale_lr.base_batch_size'
            ])
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = build_config(args)
    exit_on_problems(TOOL, missing_input_files(cfg, 'train'))
    with data_errors_as_exit(TOOL):
        setup_cpu_distributed(cfg)
        runner = (Runner.from_cfg(cfg)
                  if 'runner_type' not in cfg else RUNNERS.build(cfg))
        runner.train()


if __name__ == '__main__':
    main()
