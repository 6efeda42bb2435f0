"""Test (and evaluate) a checkpoint with an MMEngine config (MMDetection conventions).

Examples:
    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --show-dir vis   # overlays of prompts + masks
    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    tools/dist_test.sh CONFIG CHECKPOINT 2

The checkpoint is read safely and must fit the config's model exactly (no missing or
unexpected keys, same shapes, finite values), which is checked before the runner or
any dataset is built; ``--allow-partial-load`` loads what fits and lists the rest.
"""
import argparse
import os
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper
from mmengine.registry import MODELS, RUNNERS, DefaultScope
from mmengine.runner import FlexibleRunner, Runner

from ultrasam.engine import setup_cpu_distributed
from ultrasam.utils import (CheckpointError, StateDict, check_state_dict_fits,
                            load_state_dict_into, read_state_dict)
from ultrasam.utils.preflight import (build_run_config, data_errors_as_exit,
                                      exit_on_problems,
                                      missing_input_files)

TOOL = 'test.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--out', help='dump predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='save painted images (prompts, predicted and GT masks) to '
        'work_dir/<timestamp>/SHOW_DIR')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--allow-partial-load', action='store_true',
        help='load the checkpoint even if keys are missing, unexpected or of '
        'another shape (those weights keep their initial values); lists them')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, xxx=yyy format; lists as key="[a,b]"')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out {args.out}: the dump file must end in .pkl')
    return args


def read_fitting_weights(cfg: Config, args: argparse.Namespace) -> StateDict:
    """The checkpoint's weights, checked against the config's model built on
    the meta device (no memory, no initialisation), or on the CPU when the
    model reads tensor values while it is built (mmpretrain's ``LoRAModel``
    loads its module's pretrained weights, its ``ResNet`` calls ``.item()``),
    which meta tensors cannot do; a real error repeats in the CPU build."""
    try:
        state_dict = read_state_dict(args.checkpoint)
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
            try:
                with torch.device('meta'):
                    model = MODELS.build(cfg.model)
            except (NotImplementedError, RuntimeError):
                model = MODELS.build(cfg.model)
        mismatch = check_state_dict_fits(
            model, state_dict, args.checkpoint,
            strict=not args.allow_partial_load)
    except CheckpointError as error:
        exit_on_problems(TOOL, [str(error)])
    if mismatch:
        print(f'{TOOL}: warning: --allow-partial-load: {args.checkpoint}: '
              f'{mismatch.summary()}; missing and mismatched weights keep '
              'their initial values')
    return state_dict


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = build_run_config(args.config, args.cfg_options, args.launcher,
                           args.work_dir, TOOL)
    exit_on_problems(
        TOOL,
        missing_input_files(cfg, 'test',
                            {'CHECKPOINT argument': args.checkpoint}))
    state_dict = read_fitting_weights(cfg, args)
    # A FlexibleRunner builds and wraps its model inside test() and loads the
    # (checked) weights there; the Runner gets them below, before any dataset.
    runner_class = RUNNERS.get(cfg.get('runner_type', 'Runner'))
    loads_itself = isinstance(runner_class, type) and issubclass(
        runner_class, FlexibleRunner)
    cfg.load_from = args.checkpoint if loads_itself else None
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    with data_errors_as_exit(TOOL):
        setup_cpu_distributed(cfg)
        runner = (Runner.from_cfg(cfg)
                  if 'runner_type' not in cfg else RUNNERS.build(cfg))
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if isinstance(model, nn.Module):
            load_state_dict_into(model, state_dict, args.checkpoint,
                                 strict=not args.allow_partial_load)
            runner.logger.info(f'Load checkpoint from {args.checkpoint}')
        del state_dict  # the model holds its own copy
        if args.out is not None:
            runner.test_evaluator.metrics.append(
                DumpDetResults(out_file_path=args.out))
        runner.test()


if __name__ == '__main__':
    main()
