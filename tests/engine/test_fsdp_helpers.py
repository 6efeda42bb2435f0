"""FSDP helpers for ViT-H: the per-block auto-wrap policy and global-norm clipping."""
import os
from pathlib import Path

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.registry import FUNCTIONS, init_default_scope
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmpretrain.models.backbones.vit_sam import TransformerEncoderLayer

import ultrasam  # noqa: F401
from mmdet.registry import MODELS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from ultrasam.engine import (ShardedGradClipOptimWrapper,
                             vit_sam_block_wrap_policy)

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
FSDP_CONFIG = CONFIG_ROOT / 'ultrasam' / 'ultrasam_vith_us43d_fsdp.py'
TINY_MODEL = CONFIG_ROOT / '_base_' / 'models' / 'ultrasam_vitt.py'


def test_policy_wraps_exactly_the_vit_blocks():
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(TINY_MODEL))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    wrapped = []
    for name, module in model.named_modules():
        n = sum(p.numel() for p in module.parameters())
        assert vit_sam_block_wrap_policy(module, True, n), name
        if vit_sam_block_wrap_policy(module, False, n):
            wrapped.append(name)
    assert wrapped == ['backbone.layers.0', 'backbone.layers.1']
    assert all(
        isinstance(model.get_submodule(name), TransformerEncoderLayer)
        for name in wrapped)
    # The ModuleList holding them is not a unit of its own.
    assert not vit_sam_block_wrap_policy(model.backbone.layers, False, 10**9)


def test_policy_is_found_the_way_fsdp_looks_it_up():
    init_default_scope('mmdet')
    with FUNCTIONS.switch_scope_and_registry(None):
        assert FUNCTIONS.get('vit_sam_block_wrap_policy') is \
            vit_sam_block_wrap_policy


def _make_grads(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(7, 5, generator=gen), torch.randn(11, generator=gen)]


def _wrapper(params, **clip_grad):
    return ShardedGradClipOptimWrapper(
        torch.optim.SGD(params, lr=0.1), clip_grad=clip_grad)


@pytest.mark.parametrize('norm_type', [2, 1, 3.5, float('inf')])
def test_single_process_clip_equals_torch(norm_type):
    grads = _make_grads()
    ours = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    ref = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, q, g in zip(ours, ref, grads):
        p.grad, q.grad = g.clone(), g.clone()
    wrapper = _wrapper(ours, max_norm=0.1, norm_type=norm_type)
    wrapper._clip_grad()
    ref_norm = torch.nn.utils.clip_grad_norm_(
        ref, max_norm=0.1, norm_type=norm_type)
    logged = wrapper.message_hub.get_scalar('train/grad_norm').current()
    assert logged == pytest.approx(float(ref_norm), rel=1e-5)
    for p, q in zip(ours, ref):
        torch.testing.assert_close(p.grad, q.grad)
    assert float(ref_norm) > 0.1  # the test clips


def test_small_norm_is_not_scaled_and_value_clipping_is_refused():
    grads = _make_grads()
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    _wrapper(params, max_norm=1e6)._clip_grad()
    for p, g in zip(params, grads):
        torch.testing.assert_close(p.grad, g)
    with pytest.raises(ValueError, match="type='norm'"):
        _wrapper(params, type='value', clip_value=0.1)


def _two_rank_worker(rank: int, world_size: int, store_file: str,
                     out_dir: str, norm_type: float) -> None:
    store = torch_dist.FileStore(store_file, world_size)
    torch_dist.init_process_group(
        'gloo', store=store, rank=rank, world_size=world_size)
    try:
        full = torch.cat([g.flatten() for g in _make_grads()])
        shard = full.chunk(world_size)[rank]
        param = torch.nn.Parameter(torch.zeros_like(shard))
        param.grad = shard.clone()
        wrapper = _wrapper([param], max_norm=0.1, norm_type=norm_type)
        wrapper._clip_grad()
        norm = wrapper.message_hub.get_scalar('train/grad_norm').current()
        torch.save(dict(grad=param.grad, norm=norm),
                   os.path.join(out_dir, f'rank{rank}.pt'))
    finally:
        torch_dist.destroy_process_group()


@pytest.mark.parametrize('norm_type', [2, float('inf')])
def test_two_ranks_clip_by_the_global_norm(tmp_path, norm_type):
    world_size = 2
    # spawn, not fork: a child forked after the parent ran multi-threaded
    # (OpenMP) kernels can deadlock in its first parallel kernel.
    mp.start_processes(
        _two_rank_worker,
        args=(world_size, str(tmp_path / 'store'), str(tmp_path), norm_type),
        nprocs=world_size,
        join=True,
        start_method='spawn')
    results = [
        torch.load(tmp_path / f'rank{r}.pt') for r in range(world_size)
    ]

    full = torch.nn.Parameter(
        torch.zeros(sum(g.numel() for g in _make_grads())))
    full.grad = torch.cat([g.flatten() for g in _make_grads()])
    shard_norms = [float(torch.linalg.vector_norm(s, norm_type))
                   for s in full.grad.chunk(world_size)]
    ref_norm = float(
        torch.nn.utils.clip_grad_norm_([full], 0.1, norm_type=norm_type))

    for r in results:
        assert r['norm'] == pytest.approx(ref_norm, rel=1e-5)
    torch.testing.assert_close(
        torch.cat([r['grad'] for r in results]), full.grad)
    if norm_type == 2:  # per-shard clipping (OptimWrapper) would differ
        assert all(n < ref_norm * 0.99 for n in shard_norms)


def _fsdp_worker(rank: int, world_size: int, store_file: str,
                 out_dir: str) -> None:
    from mmengine.model.wrappers import MMFullyShardedDataParallel
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    store = torch_dist.FileStore(store_file, world_size)
    torch_dist.init_process_group(
        'gloo', store=store, rank=rank, world_size=world_size)
    try:
        init_default_scope('mmdet')
        torch.manual_seed(0)
        backbone = MODELS.build(Config.fromfile(str(TINY_MODEL)).model.backbone)
        model = MMFullyShardedDataParallel(
            backbone,
            auto_wrap_policy=dict(type='vit_sam_block_wrap_policy'),
            device_id=torch.device('cpu'),
            use_orig_params=True)
        units = [n for n, m in model.named_modules() if isinstance(m, FSDP)]
        torch.manual_seed(1 + rank)
        out = model(torch.randn(1, 3, 256, 256))
        sum(o.sum() for o in out).backward()
        params = [p for p in model.parameters() if p.grad is not None]
        grads = [p.grad.clone() for p in params]
        ref_norm = float(model.clip_grad_norm_(0.1))
        ref_grads = [p.grad.clone() for p in params]
        for p, g in zip(params, grads):
            p.grad.copy_(g)
        wrapper = _wrapper(list(model.parameters()), max_norm=0.1)
        wrapper._clip_grad()
        norm = wrapper.message_hub.get_scalar('train/grad_norm').current()
        for p, g in zip(params, ref_grads):
            torch.testing.assert_close(p.grad, g)
        torch.save(dict(units=units, norm=norm, ref_norm=ref_norm),
                   os.path.join(out_dir, f'rank{rank}.pt'))
    finally:
        torch_dist.destroy_process_group()


def test_real_fsdp_units_and_clip_match_fsdp(tmp_path):
    """MMEngine's FSDP wrapper on 2 CPU ranks: one unit per block (plus the
    root), and the wrapper's norm / clipped grads equal FSDP.clip_grad_norm_."""
    mp.start_processes(
        _fsdp_worker,
        args=(2, str(tmp_path / 'store'), str(tmp_path)),
        nprocs=2,
        join=True,
        start_method='spawn')
    for r in range(2):
        res = torch.load(tmp_path / f'rank{r}.pt')
        assert res['units'] == [
            '', '_fsdp_wrapped_module.layers.0',
            '_fsdp_wrapped_module.layers.1'
        ]
        assert res['norm'] == pytest.approx(res['ref_norm'], rel=1e-5)
        assert res['ref_norm'] > 0.1  # the test clips


def test_fsdp_config_resolves():
    cfg = Config.fromfile(str(FSDP_CONFIG))
    init_default_scope(cfg.default_scope)
    assert cfg.runner_type == 'FlexibleRunner'
    assert cfg.strategy.type == 'FSDPStrategy'
    policy = cfg.strategy.model_wrapper.auto_wrap_policy.type
    with FUNCTIONS.switch_scope_and_registry(None):
        assert FUNCTIONS.get(policy) is vit_sam_block_wrap_policy
    ow = cfg.optim_wrapper
    assert ow.type == 'ShardedGradClipOptimWrapper'
    assert ow.optimizer.type == 'AdamW'  # inherited, merged with the new type
    assert ow.clip_grad.max_norm == 0.1
    for registry in (MMENGINE_OPTIM_WRAPPERS, MMDET_OPTIM_WRAPPERS):
        assert registry.get(ow.type) is ShardedGradClipOptimWrapper
    # Built the way FSDPStrategy builds it (root registry, mmdet scope).
    built = MMENGINE_OPTIM_WRAPPERS.build(
        dict(
            type=ow.type,
            optimizer=torch.optim.AdamW([torch.nn.Parameter(torch.ones(1))]),
            clip_grad=ow.clip_grad.to_dict()))
    assert isinstance(built, ShardedGradClipOptimWrapper)
