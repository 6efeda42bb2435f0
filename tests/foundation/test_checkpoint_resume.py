"""MMEngine 0.10.7 checkpoints resume on torch >= 2.6 once ultrasam is imported."""
import pickle
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import ultrasam  # noqa: F401  (allow-lists the checkpoint globals)
from ultrasam.utils.torch_compat import history_buffer_method


class _Regressor(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, y, mode='loss'):
        return dict(loss=((self.linear(x) - y)**2).mean())


class _Points(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, index):
        return dict(x=torch.full((2, ), float(index)), y=torch.ones(1))


def _runner(work_dir, max_iters, resume=False):
    return Runner(
        model=_Regressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Points(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                             begin=0, end=4),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=2, by_epoch=False)),
        resume=resume,
        randomness=dict(seed=0))


def test_runner_checkpoint_resumes(tmp_path):
    first = _runner(tmp_path, max_iters=4)
    first.train()
    saved = torch.load(tmp_path / 'iter_4.pth')  # weights_only by default
    assert saved['meta']['iter'] == 4
    assert isinstance(saved['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)

    resumed = _runner(tmp_path, max_iters=6, resume=True)
    resumed.train()
    assert resumed.iter == 6
    assert resumed.optim_wrapper.optimizer.state_dict()['state'][0]['step'] == 6


def test_checkpoint_loads_in_a_fresh_process(tmp_path):
    """tools/test.py loads a checkpoint before any HistoryBuffer exists."""
    _runner(tmp_path, max_iters=2).train()
    script = (
        'import torch, ultrasam; '
        f'ckpt = torch.load({str(tmp_path / "iter_2.pth")!r}); '
        "assert ckpt['meta']['iter'] == 2")
    subprocess.run([sys.executable, '-c', script], check=True)


def test_restricted_getattr_only_resolves_statistics_methods():
    assert history_buffer_method(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        history_buffer_method(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError, match='system'):
        history_buffer_method(__import__('os'), 'system')
