"""tools/analysis_tools/get_flops.py: MACs through SDPA are counted, so
FastViTSAM and mmpretrain's ViTSAM count alike; wrong uses are one line."""
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.backbones.vit_sam import ViTSAM

from ultrasam.models.backbones import FastViTSAM

TOOL = 'tools/analysis_tools/get_flops.py'
TINY = 'configs/ultrasam/ultrasam_vitt_phantom.py'
TINY_ARCH = dict(embed_dims=96, num_layers=2, num_heads=3,
                 feedforward_channels=384, global_attn_indexes=[1])


@pytest.fixture
def get_flops(load_script, repo, monkeypatch):
    monkeypatch.chdir(repo)
    return load_script(TOOL)


class Attention(nn.Module):

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


def test_sdpa_counts_both_products(get_flops):
    q, k = torch.zeros(2, 3, 10, 8), torch.zeros(2, 3, 12, 8)
    v = torch.zeros(2, 3, 12, 5)
    assert get_flops.count_macs(Attention(), (q, k, v), 'attention') == \
        2 * 3 * 10 * 12 * (8 + 5)


@pytest.mark.parametrize('window_size', [8, 6])
def test_fast_encoder_counts_like_mmpretrain(get_flops, window_size):
    """Without window padding the counts are equal; with it (16 tokens in
    windows of 6) ours is lower: padding is never projected."""
    torch.manual_seed(0)
    image = torch.zeros(1, 3, 256, 256)
    kwargs = dict(arch=TINY_ARCH, img_size=256, window_size=window_size,
                  out_channels=32)
    counts = []
    for cls in (FastViTSAM, ViTSAM):
        encoder = cls(**kwargs)
        encoder.eval()  # mmpretrain's train() returns None: no chaining
        counts.append(get_flops.count_macs(encoder, (image, ), 'encoder'))
    fast, reference = counts
    if window_size == 8:
        assert fast == reference
    else:
        assert fast < reference


def test_tiny_config_prints_encoder_decoder_and_parameters(get_flops, capsys):
    get_flops.main([TINY, '--num-boxes', '4'])
    out = capsys.readouterr().out
    encoder = float(re.search(r'image encoder: (\d+\.\d+) GMACs, (\d+\.\d+) M',
                              out).group(1))
    total, per_prompt = map(float, re.search(
        r'4 box prompt\(s\): (\d+\.\d+) GMACs \((\d+\.\d+) per prompt\)',
        out).groups())
    assert encoder > 0 and total == pytest.approx(4 * per_prompt, abs=2e-3)
    assert 'input 256x256' in out and 'whole model:' in out


@pytest.mark.parametrize('args, message', [
    (('configs/downstream/classification/vitsam-t_scratch_full_phantom.py',
      ), 'ImageClassifier has no fixed input size: give --image-size H W'),
    (('no/such.py', ), 'config file not found'),
    ((TINY, '--num-boxes', '0'), "expected a positive integer, got '0'"),
])
def test_wrong_uses_are_one_line(get_flops, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        get_flops.main(list(args))
    assert message in str(exit_info.value.code) + capsys.readouterr().err


def test_other_models_count_their_backbone(get_flops, capsys):
    get_flops.main([
        'configs/downstream/segmentation/vitsam-t_mask2former_scratch_phantom'
        '.py', '--image-size', '128', '96'
    ])
    out = capsys.readouterr().out
    assert '(Mask2Former, FastViTSAM encoder); input 128x96' in out
    assert 'prompt encoder' not in out
