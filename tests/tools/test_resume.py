"""A SIGKILLed training run resumed with --resume continues exactly.

"Exactly" means the losses logged after the resume are the ones an uninterrupted
run with the same seed logs: weights, optimizer, LR scheduler, data order,
augmentation randomness (dataloader workers) and model randomness (corrective
clicks, drawn in the main process, see RNGStateHook) are all restored.

The end-to-end test runs tools/train.py on the tiny config; a Runner-level test
covers the set-ups that config does not have (non-persistent workers, validation
right after a checkpoint); a unit test covers the checkpoint format.
"""
import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List, Optional, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import ultrasam  # noqa: F401  (allow-lists the checkpoint globals)
from ultrasam.engine.hooks import RNGStateHook

MAX_ITERS = 12
CHECKPOINT_INTERVAL = 4
LOGGED = ('loss', 'loss_focal', 'loss_dice', 'loss_iou', 'grad_norm', 'lr')


def _train_args(config: Path, work_dir: Path, phantom_root: Path,
                python: str) -> List[str]:
    """tools/train.py on the tiny config with its random augmentation and
    training-time model randomness, logging every iteration unsmoothed
    (``window_size=1``) so that each logged loss is that iteration's own."""
    return [
        python, 'tools/train.py', str(config), '--work-dir',
        str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={phantom_root}/',
        # The config's default, spelled out: augmentation must be drawn in a
        # worker for an exact resume (see RNGStateHook).
        'train_dataloader.num_workers=1',
        f'train_cfg.max_iters={MAX_ITERS}',
        f'default_hooks.checkpoint.interval={CHECKPOINT_INTERVAL}',
        # Keep every checkpoint: the poll below must not race their removal.
        'default_hooks.checkpoint.max_keep_ckpts=-1',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1'
    ]


def _runs(work_dir: Path) -> List[Path]:
    """The run directories (``work_dir/<timestamp>``), oldest first."""
    return sorted(p for p in work_dir.iterdir()
                  if p.is_dir() and re.fullmatch(r'\d{8}_\d{6}', p.name))


def _scalars(run_dir: Path) -> Dict[int, dict]:
    """Per-iteration values that LocalVisBackend wrote, keyed by iteration."""
    lines = (run_dir / 'vis_data' / 'scalars.json').read_text().splitlines()
    return {entry['iter']: entry for entry in map(json.loads, lines)}


def _last_checkpoint_iter(work_dir: Path) -> int:
    """Iteration of the checkpoint ``last_checkpoint`` names, 0 if none yet.

    CheckpointHook writes ``last_checkpoint`` only after the checkpoint file
    is saved, so a named checkpoint is complete.
    """
    pointer = work_dir / 'last_checkpoint'
    if not pointer.exists():
        return 0
    match = re.search(r'iter_(\d+)\.pth$', pointer.read_text().strip())
    return int(match.group(1)) if match else 0


def _train_until_checkpoint_then_kill(args: List[str], work_dir: Path,
                                      repo: Path, env: Dict[str, str]) -> int:
    """Start training, SIGKILL it once a checkpoint exists; its iteration.

    The run is in its own session and the whole process group is killed,
    dataloader worker included, as a scheduler or the OOM killer would.
    """
    with open(work_dir.parent / 'killed_run.out', 'w') as out:
        process = subprocess.Popen(args, cwd=repo, env=env, stdout=out,
                                   stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while _last_checkpoint_iter(work_dir) == 0:
                assert process.poll() is None, (
                    'the run ended before its first checkpoint:\n' +
                    (work_dir.parent / 'killed_run.out').read_text()[-4000:])
                assert time.monotonic() < deadline, 'no checkpoint in 300 s'
                time.sleep(0.05)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL, 'the run was not killed'
    return _last_checkpoint_iter(work_dir)


def test_sigkilled_run_resumes_like_an_uninterrupted_run(
        run_tool, tool_env, repo, phantom_config, phantom_root, tmp_path):
    """Losses after ``--resume`` equal an uninterrupted run's, iteration by
    iteration.

    16 images in batches of 4 make a 4-iteration epoch, so the checkpoint at
    iteration 4 sits on an epoch boundary, where the dataloader restarts with
    the next epoch's shuffle: the resumed run must replay that too.

    The comparison is exact. Every run uses one intra-op thread: with two,
    CPU kernels are not bitwise reproducible (two uninterrupted runs differ by
    ~1e-9..1e-7 after a few iterations), which would hide nothing a lost
    state produces (different prompts or augmentations change the loss by
    ~1e-2) but forces a tolerance; with one thread any difference is a bug.
    """
    env = dict(tool_env, OMP_NUM_THREADS='1')
    reference_dir = tmp_path / 'uninterrupted'
    run_tool(_train_args(phantom_config, reference_dir, phantom_root,
                         tool_env['PYTHON']), env=env)
    reference = _scalars(_runs(reference_dir)[-1])
    assert sorted(reference) == list(range(1, MAX_ITERS + 1))

    work_dir = tmp_path / 'killed'
    args = _train_args(phantom_config, work_dir, phantom_root,
                       tool_env['PYTHON'])
    resumed_from = _train_until_checkpoint_then_kill(args, work_dir, repo, env)
    assert CHECKPOINT_INTERVAL <= resumed_from < MAX_ITERS, (
        'the run was killed too late to test anything')
    run_tool(args + ['--resume'], env=env)

    resumed_run = _runs(work_dir)[-1]
    log = (resumed_run / f'{resumed_run.name}.log').read_text()
    checkpoint = work_dir / f'iter_{resumed_from}.pth'
    assert f'Auto resumed from the latest checkpoint {checkpoint}' in log
    assert re.search(rf'resumed epoch: \d+, iter: {resumed_from}\b', log)
    resumed = _scalars(resumed_run)
    assert sorted(resumed) == list(range(resumed_from + 1, MAX_ITERS + 1))
    for iteration, logged in resumed.items():
        for key in LOGGED:
            assert logged[key] == reference[iteration][key], (
                iteration, key, logged[key], reference[iteration][key])


def _draw() -> tuple:
    """One draw from each RNG the hook manages."""
    return random.random(), np.random.rand(), torch.rand(3).tolist()


def test_rng_state_hook_round_trips_through_weights_only_load(tmp_path):
    """The saved RNG states load with torch.load's default (weights_only=True,
    torch >= 2.6) after ``import ultrasam``, as MMEngine's resume loads them,
    and are restored once, at the first iteration after the load."""
    # Saving and restoring touch no runner state.
    runner = SimpleNamespace(logger=None)
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    checkpoint: dict = {}
    RNGStateHook().before_save_checkpoint(runner, checkpoint)
    torch.save(checkpoint, tmp_path / 'rng.pth')
    expected = [_draw(), _draw()]

    random.seed(10)
    np.random.seed(20)
    torch.manual_seed(30)
    hook = RNGStateHook()
    hook.after_load_checkpoint(runner, torch.load(tmp_path / 'rng.pth'))
    assert _draw() != expected[0]  # nothing restored before the iteration
    hook.before_train_iter(runner, batch_idx=0)
    first = _draw()
    hook.before_train_iter(runner, batch_idx=1)  # no second restore
    assert [first, _draw()] == expected


class _NoisyRegressor(BaseModel):
    """Draws from the global torch RNG in training and in prediction, like
    UltraSam's corrective clicks; records every training loss."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.losses: List[float] = []

    def forward(self, x: torch.Tensor, y: torch.Tensor,
                mode: str = 'loss') -> Union[dict, list]:
        noise = torch.rand(len(x), 1)
        if mode == 'loss':
            loss = ((self.linear(x) - y)**2 * (1 + noise)).mean()
            self.losses.append(loss.item())
            return dict(loss=loss)
        return list(self.linear(x) + noise)


class _AugmentedPoints(Dataset):
    """An 'augmentation' drawn from numpy's global RNG (in the worker)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict:
        return dict(x=torch.tensor([index, np.random.rand()],
                                   dtype=torch.float32),
                    y=torch.ones(1))


class _MeanPrediction(BaseMetric):
    """Validation needs a metric; any will do."""

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(float(p) for p in data_samples)

    def compute_metrics(self, results: list) -> dict:
        return dict(mean=sum(results) / len(results))


def _toy_runner(work_dir: Path,
                name: str,
                resume_from: Optional[str] = None) -> Runner:
    """8 samples in batches of 2: the checkpoint at iteration 4 ends an epoch
    and is followed by a validation."""
    loader = dict(num_workers=1, persistent_workers=False,
                  collate_fn=dict(type='default_collate'))
    return Runner(
        model=_NoisyRegressor(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=_AugmentedPoints(8), batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=True), **loader),
        val_dataloader=dict(
            dataset=_AugmentedPoints(2), batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False), **loader),
        val_evaluator=[_MeanPrediction()],
        val_cfg=dict(type='ValLoop'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=8, val_interval=4),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=4, by_epoch=False)),
        custom_hooks=[RNGStateHook()],
        load_from=resume_from,
        resume=resume_from is not None,
        randomness=dict(seed=0))


def test_resume_is_exact_across_dataloader_restart_and_validation(tmp_path):
    """Nothing that runs between a checkpoint and the next iteration, and that
    a resumed run skips, may shift the training RNG states.

    Here two things do, at a checkpoint on an epoch boundary: validation (its
    dataloader and the model's test-time randomness) and the restart of a
    non-persistent training dataloader (each new torch DataLoader iterator
    draws a base seed from the global torch RNG). The tiny config above has
    neither (persistent worker, no validation), so it is checked here, with
    both: each one alone makes the losses after the resume differ.
    """
    uninterrupted = _toy_runner(tmp_path / 'a', 'uninterrupted')
    uninterrupted.train()
    resumed = _toy_runner(tmp_path / 'b', 'resumed',
                          resume_from=str(tmp_path / 'a' / 'iter_4.pth'))
    resumed.train()
    assert resumed.model.losses == uninterrupted.model.losses[4:]
