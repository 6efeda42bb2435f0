import random
from typing import Optional

import numpy as np
import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.runner import Runner


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random-number-generator states in checkpoints and restore them.

    MMEngine's resume restores weights, optimizer, scheduler and the data order
    (the iteration-based loop replays the sampler up to the resumed iteration), but
    not the RNG states, so random decisions taken by the model during training (e.g.
    simulated corrective clicks) would differ from an uninterrupted run. The states of
    Python's ``random``, numpy and torch (CPU and CUDA) are stored at every checkpoint
    and restored just before the first iteration after resume.

    Data augmentation randomness is drawn in dataloader workers, whose RNGs MMEngine
    seeds deterministically and replays while skipping the trained iterations; with
    ``num_workers=0`` augmentation runs in the main process and the replay happens
    after the restore point, so exact resume needs ``num_workers >= 1``.
    """

    priority = 'VERY_LOW'
    CHECKPOINT_KEY = 'rng_state'

    def __init__(self) -> None:
        self._pending_state: Optional[dict] = None

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[self.CHECKPOINT_KEY] = state

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        self._pending_state = checkpoint.get(self.CHECKPOINT_KEY)
        if self._pending_state is None:
            runner.logger.warning(
                'the checkpoint holds no RNG state (saved without RNGStateHook); '
                'random decisions after resume will differ from an '
                'uninterrupted run')

    def before_train(self, runner: Runner) -> None:
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
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
