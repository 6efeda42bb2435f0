"""FastViTSAM: same parameters and outputs as mmpretrain's ViTSAM, faster attention.

Each SAM architecture (ViT-B / L / H) keeps its true width, heads and window
size but gets two blocks (one windowed, one global) and small inputs, so the
parity checks take seconds.
"""
import pytest
import torch
from mmpretrain.models.backbones.vit_sam import (TransformerEncoderLayer,
                                                 ViTSAM)
from mmpretrain.models.peft import LoRAModel

from ultrasam.engine import vit_sam_block_wrap_policy
from ultrasam.models import FastViTSAM
from ultrasam.models.backbones import fast_vit_sam_layer

ARCHS = ('base', 'large', 'huge')


def two_block_arch(arch: str) -> dict:
    """``arch``'s dims / heads / MLP width with blocks [windowed, global]."""
    return dict(ViTSAM.arch_zoo[arch], num_layers=2, global_attn_indexes=[1])


def random_weights(model: torch.nn.Module) -> dict:
    """Every entry of ``model``'s state dict drawn (norm weights near 1), so
    rel-pos tables, norms and LoRA factors are not trivial."""
    g = torch.Generator().manual_seed(0)
    return {
        key: torch.randn(value.shape, generator=g) * 0.05 +
        (1. if key.endswith('.weight') and value.ndim == 1 else 0.)
        for key, value in model.state_dict().items()
    }


def random_pair(arch: dict, img_size: int, with_cp: bool = False, **kwargs):
    """mmpretrain's ViTSAM and FastViTSAM with the same random weights
    (every parameter drawn, so rel-pos tables and norms are not trivial)."""
    ref = ViTSAM(arch=arch, img_size=img_size, **kwargs)
    ours = FastViTSAM(arch=arch, img_size=img_size, with_cp=with_cp, **kwargs)
    weights = random_weights(ref)
    ref.load_state_dict(weights, strict=True)
    ours.load_state_dict(weights, strict=True)
    return ref, ours


def max_rel_diff(ref: torch.Tensor, got: torch.Tensor) -> float:
    return ((ref - got).abs().max() / ref.abs().max().clamp(min=1e-12)).item()


@pytest.mark.parametrize('arch', ARCHS)
def test_state_dict_keys_match_mmpretrain(arch):
    """Checkpoints of mmpretrain's ViTSAM (hence converted SAM / MedSAM /
    UltraSam ones) load unchanged: same keys, same shapes, full size."""
    with torch.device('meta'):
        ref = ViTSAM(arch=arch, img_size=1024, out_channels=256)
        ours = FastViTSAM(arch=arch, img_size=1024, out_channels=256)
    ref_sd, ours_sd = ref.state_dict(), ours.state_dict()
    assert list(ref_sd) == list(ours_sd)
    assert all(ref_sd[k].shape == ours_sd[k].shape for k in ref_sd)
    assert ours.global_attn_indexes == ref.global_attn_indexes
    assert [l.window_size for l in ours.layers] == \
        [l.window_size for l in ref.layers]


# 160 px: 10x10 tokens, padded to one 14x14 window; 224 px: exactly one
# window; a 224 x 160 input to a 160 model: resized pos_embed and global
# rel-pos tables, 14x10 tokens padded along one side only (every arch).
@pytest.mark.parametrize('arch,img_size,input_hw', [
    ('base', 160, (160, 160)),
    ('base', 224, (224, 224)),
    ('base', 160, (224, 160)),
    ('large', 160, (224, 160)),
    ('huge', 160, (224, 160)),
])
def test_outputs_and_gradients_match_mmpretrain(arch, img_size, input_hw):
    ref, ours = random_pair(two_block_arch(arch), img_size, out_indices=[0, 1])
    x = torch.randn(1, 3, *input_hw, generator=torch.Generator().manual_seed(1))
    x_ref, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()
    outs_ref, outs_ours = ref(x_ref), ours(x_ours)
    for a, b in zip(outs_ref, outs_ours):
        assert a.shape == b.shape
        assert max_rel_diff(a, b) <= 1e-4
    loss_ref = sum((o * o.detach().sin()).sum() for o in outs_ref)
    loss_ours = sum((o * o.detach().sin()).sum() for o in outs_ours)
    loss_ref.backward()
    loss_ours.backward()
    assert max_rel_diff(x_ref.grad, x_ours.grad) <= 1e-4
    for (name, p_ref), p_ours in zip(ref.named_parameters(), ours.parameters()):
        assert max_rel_diff(p_ref.grad, p_ours.grad) <= 1e-4, name


# In eval mode on CPU masks and MLP activations are built in pieces. With
# these budgets the windowed block (2 x 12 heads x 196^2 mask) runs as whole
# samples, head groups and query ranges; the global block (14x10 tokens) as
# one piece, head groups of 5 and of 1; the MLP in 162, 32 and 6 tokens.
@pytest.mark.parametrize('budget', [500_000, 100_000, 20_000])
def test_cpu_inference_pieces_match_mmpretrain(budget, monkeypatch):
    monkeypatch.setattr(fast_vit_sam_layer, 'CPU_CHUNK_NUMEL', budget)
    ref, ours = random_pair(two_block_arch('base'), 160, out_indices=[0, 1])
    ref.eval()
    ours.eval()
    x = torch.randn(2, 3, 224, 160, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        for a, b in zip(ref(x), ours(x)):
            assert max_rel_diff(a, b) <= 1e-4


def test_without_rel_pos_and_qkv_bias():
    arch = dict(embed_dims=64, num_layers=2, num_heads=4,
                feedforward_channels=128, global_attn_indexes=[1])
    ref, ours = random_pair(arch, 96, window_size=5, use_rel_pos=False,
                            qkv_bias=False)
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        assert max_rel_diff(ref(x)[0], ours(x)[0]) <= 1e-5


@pytest.mark.parametrize('qkv_bias', [True, False])
def test_lora_wrapped_qkv_matches_mmpretrain(qkv_bias):
    """mmpretrain's LoRAModel swaps every ``qkv`` for a LoRALinear: the
    wrapped projection (not the bare weights) must run, padding included."""
    backbone = dict(arch=dict(embed_dims=64, num_layers=2, num_heads=4,
                              feedforward_channels=128,
                              global_attn_indexes=[1]),
                    img_size=96, window_size=5, qkv_bias=qkv_bias)
    ref, ours = (LoRAModel(module=dict(backbone, **module), alpha=16, rank=4,
                           targets=[dict(type='qkv')]).eval()
                 for module in (dict(type='ViTSAM', _scope_='mmpretrain'),
                                dict(type='FastViTSAM', _scope_='mmdet')))
    weights = random_weights(ref.module)
    assert any('lora_up' in key for key in weights)
    ref.module.load_state_dict(weights, strict=True)
    ours.module.load_state_dict(weights, strict=True)
    x = torch.randn(1, 3, 96, 80, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert max_rel_diff(ref(x)[0], ours(x)[0]) <= 1e-5


def test_activation_checkpointing_gives_equal_gradients():
    arch = dict(embed_dims=96, num_layers=2, num_heads=4,
                feedforward_channels=384, global_attn_indexes=[1])
    _, plain = random_pair(arch, 160, drop_path_rate=0.1)
    _, ckpt = random_pair(arch, 160, drop_path_rate=0.1, with_cp=True)
    plain.train()
    ckpt.train()
    block_runs = []
    ckpt.layers[0].ln1.register_forward_hook(
        lambda *_: block_runs.append(1))
    x = torch.randn(2, 3, 160, 160)
    grads = []
    for model in (plain, ckpt):
        # Same stochastic-depth draws: checkpointing must replay them.
        torch.manual_seed(3)
        model(x)[0].square().mean().backward()
        grads.append([p.grad for p in model.parameters()])
    # The checkpointed block ran its forward again in the backward pass.
    assert len(block_runs) == 2
    for g_plain, g_ckpt in zip(*grads):
        assert torch.allclose(g_plain, g_ckpt, rtol=1e-5, atol=1e-7)


def test_frozen_stages_and_fsdp_blocks():
    arch = two_block_arch('base')
    with torch.device('meta'):
        model = FastViTSAM(arch=arch, img_size=160, frozen_stages=1)
    assert not model.patch_embed.projection.weight.requires_grad
    assert not any(p.requires_grad for p in model.layers[0].parameters())
    assert all(p.requires_grad for p in model.layers[1].parameters())
    # train() / eval() return the module, as nn.Module's do.
    assert model.eval() is model and not model.layers[1].training
    assert model.train() is model and model.layers[1].training
    # Each block is still an mmpretrain ViT-SAM block: the FSDP policy wraps
    # it as its own unit.
    for layer in model.layers:
        assert isinstance(layer, TransformerEncoderLayer)
        assert vit_sam_block_wrap_policy(layer, False, 0)


@pytest.mark.parametrize('kwargs,message', [
    (dict(arch='giant'), "arch 'giant'"),
    (dict(arch=dict(embed_dims=64, num_layers=2)), 'custom arch'),
    (dict(out_indices=12), 'out_indices entry 12'),
    (dict(out_type='tokens'), 'out_type'),
    (dict(layer_cfgs=[dict()] * 3), 'layer_cfgs has 3'),
])
def test_bad_arguments_are_named(kwargs, message):
    with torch.device('meta'), pytest.raises(ValueError, match=message):
        FastViTSAM(**dict(dict(arch='base', img_size=160), **kwargs))
