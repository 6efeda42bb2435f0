"""Random-number-generator states in checkpoints, restored for an exact resume."""
import random
from typing import Optional

import numpy as np
import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import DataLoader


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random-number-generator states in checkpoints and restore them.

    MMEngine's resume restores weights, optimizer, scheduler and the data order
    (the iteration-based loop replays the sampler up to the resumed iteration), but
    not the RNG states, so random decisions taken by the model during training (e.g.
    simulated corrective clicks) would differ from an uninterrupted run. The states of
    Python's ``random``, numpy and torch (CPU and CUDA) are stored at every checkpoint
    and restored just before the first iteration after resume. A checkpoint loaded only
    for its weights (``load_from`` without resume, ``tools/test.py``) leaves the RNGs
    as the run's own seed set them, and draws no warning.

    That is exact only if nothing the resumed run skips draws from these generators
    between the checkpoint and the next iteration. Two things would, so the hook
    keeps them off the training RNG states:

    * Restarting the training dataloader (an epoch boundary, unless its workers are
      persistent): every new torch ``DataLoader`` iterator draws a base seed from
      the global torch generator. The hook gives the training dataloader its own
      generator, seeded from the runner's seed; MMEngine's ``worker_init_fn``
      re-seeds each worker from the runner's seed and rank anyway.
    * Validation right after a checkpoint (its dataloader, test-time randomness):
      the training states are saved before validation and put back after it, so
      validation does not change the training run; a checkpoint saved during
      validation (e.g. the best one) stores the training states.

    Data augmentation randomness is drawn in dataloader workers, whose RNGs MMEngine
    seeds deterministically and replays while skipping the trained iterations; with
    ``num_workers=0`` augmentation runs in the main process and the replay happens
    after the restore point, so exact resume needs ``num_workers >= 1``.
    """

    priority = 'VERY_LOW'
    CHECKPOINT_KEY = 'rng_state'

    def __init__(self) -> None:
        self._pending_state: Optional[dict] = None
        self._loaded_without_state = False
        self._train_state: Optional[dict] = None

    @staticmethod
    def _get_state() -> dict:
        state = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        return state

    @staticmethod
    def _set_state(state: dict) -> None:
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        checkpoint[self.CHECKPOINT_KEY] = (
            self._train_state
            if self._train_state is not None else self._get_state())

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        self._pending_state = checkpoint.get(self.CHECKPOINT_KEY)
        self._loaded_without_state = self._pending_state is None

    def before_train(self, runner: Runner) -> None:
        loader = runner.train_dataloader
        if isinstance(loader, DataLoader) and loader.generator is None:
            loader.generator = torch.Generator().manual_seed(runner.seed)
        # Checkpoints are also loaded to initialise weights (``load_from``
        # without resume, tools/test.py); only a resume continues at iter > 0,
        # and only a resume should continue the saved random sequence.
        if runner.iter == 0:
            self._pending_state = None
            return
        if self._loaded_without_state:
            runner.logger.warning(
                'the checkpoint holds no RNG state (saved without RNGStateHook); '
                'random decisions after resume will differ from an '
                'uninterrupted run')
        if self._pending_state is not None and (
                runner.train_dataloader.num_workers == 0):
            runner.logger.warning(
                'train_dataloader.num_workers=0: data augmentation randomness '
                'after resume differs from an uninterrupted run; use '
                'num_workers >= 1 for an exact resume')

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if self._pending_state is None:
            return
        state, self._pending_state = self._pending_state, None
        self._set_state(state)

    def before_val(self, runner: Runner) -> None:
        self._train_state = self._get_state()

    def after_val(self, runner: Runner) -> None:
        if self._train_state is not None:
            self._set_state(self._train_state)
            self._train_state = None
