"""SimpleFPN: the ViTDet pyramid's shapes, extra levels, gradients and
refusals, on its own and behind the tiny FastViTSAM encoder."""
import pytest
import torch
from mmengine.registry import DefaultScope

from mmdet.registry import MODELS
from ultrasam.models import SimpleFPN


def test_default_pyramid_strides_4_to_32():
    neck = SimpleFPN(in_channels=64, out_channels=32)
    neck.init_weights()
    outs = neck((torch.randn(2, 64, 16, 16), ))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 64, 64),
                                             (2, 32, 32, 32),
                                             (2, 32, 16, 16), (2, 32, 8, 8)]
    # LayerNorm2d ends every level: per-pixel channel mean 0, variance 1.
    for out in outs:
        torch.testing.assert_close(
            out.mean(dim=1), torch.zeros_like(out[:, 0]), atol=1e-5,
            rtol=0)


def test_extra_levels_subsets_and_input_choice():
    neck = SimpleFPN(in_channels=8, out_channels=4, num_outs=5)
    first, last = torch.randn(1, 8, 8, 8), torch.randn(1, 8, 12, 20)
    outs = neck((first, last))  # the last map by default
    assert [tuple(o.shape[2:]) for o in outs] == [(48, 80), (24, 40),
                                                 (12, 20), (6, 10), (3, 5)]
    torch.testing.assert_close(outs[4], outs[3][..., ::2, ::2])
    coarse = SimpleFPN(in_channels=8, out_channels=4, scale_factors=(1, 0.5),
                       in_index=0)
    assert [tuple(o.shape[2:]) for o in coarse((first, last))] == [(8, 8),
                                                                 (4, 4)]


def test_every_parameter_gets_a_gradient():
    neck = SimpleFPN(in_channels=16, out_channels=8)
    sum(out.square().sum() for out in neck((torch.randn(1, 16, 4, 4), ))
        ).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in neck.parameters())


@pytest.mark.parametrize('kwargs, message', [
    (dict(scale_factors=(3.0, )), 'scale_factors must be non-empty values'),
    (dict(scale_factors=()), 'scale_factors must be non-empty values'),
    (dict(in_channels=6), 'in_channels=6 must be divisible by 4'),
    (dict(num_outs=2), 'num_outs=2 is smaller than the 4 scale_factors'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimpleFPN(**dict(dict(in_channels=8, out_channels=4), **kwargs))


def test_token_input_names_the_backbone_settings():
    neck = SimpleFPN(in_channels=8, out_channels=4)
    with pytest.raises(ValueError, match="out_type='featmap'"):
        neck((torch.randn(1, 16, 8), ))
    with pytest.raises(ValueError, match=r'\(B, 8, H, W\)'):
        neck((torch.randn(1, 16, 4, 4), ))


def test_behind_the_tiny_encoder():
    with DefaultScope.overwrite_default_scope('mmdet'):
        backbone = MODELS.build(
            dict(type='FastViTSAM',
                 arch=dict(embed_dims=96, num_layers=2, num_heads=4,
                           feedforward_channels=384, global_attn_indexes=[1]),
                 img_size=128, window_size=8, out_channels=0,
                 out_indices=(1, ), out_type='featmap'))
        neck = MODELS.build(
            dict(type='SimpleFPN', in_channels=96, out_channels=64))
    outs = neck(backbone(torch.randn(1, 3, 128, 128)))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 32, 32), (1, 64, 16, 16),
                                             (1, 64, 8, 8), (1, 64, 4, 4)]
