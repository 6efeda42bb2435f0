"""tools/model_converters/convert_mae.py on tiny state dicts made here: Facebook
/ timm MAE (a reference model with Facebook's parameter names and forward) and
mmpretrain MAE, to mmpretrain MAE, VisionTransformer and ViTSAM."""
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from ultrasam.utils import read_state_dict

DIM, DEPTH, HEADS, PATCH, IMG = 32, 2, 2, 16, 64
DECODER_DIM = 16
GRID = IMG // PATCH
TINY_ARCH = dict(embed_dims=DIM, num_layers=DEPTH, num_heads=HEADS,
                 feedforward_channels=4 * DIM)


class FacebookAttention(nn.Module):

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads,
                                  dim // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1) * (dim // self.heads)**-0.5).softmax(
            dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(batch, tokens, dim))


class FacebookMlp(nn.Module):

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(nn.functional.gelu(self.fc1(x)))


class FacebookBlock(nn.Module):

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = FacebookAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = FacebookMlp(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, DIM, PATCH, PATCH)


class FacebookMAE(nn.Module):
    """Facebook's MaskedAutoencoderViT parameter names and forward, tiny."""

    def __init__(self, with_decoder: bool = True) -> None:
        super().__init__()
        tokens = GRID * GRID + 1
        self.cls_token = nn.Parameter(torch.randn(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, DIM))
        self.patch_embed = PatchEmbed()
        self.blocks = nn.ModuleList(
            FacebookBlock(DIM, HEADS) for _ in range(DEPTH))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        if with_decoder:
            self.decoder_embed = nn.Linear(DIM, DECODER_DIM)
            self.mask_token = nn.Parameter(torch.randn(1, 1, DECODER_DIM))
            self.decoder_pos_embed = nn.Parameter(
                torch.randn(1, tokens, DECODER_DIM))
            self.decoder_blocks = nn.ModuleList([FacebookBlock(
                DECODER_DIM, HEADS)])
            self.decoder_norm = nn.LayerNorm(DECODER_DIM, eps=1e-6)
            self.decoder_pred = nn.Linear(DECODER_DIM, PATCH * PATCH * 3)
        for parameter in self.parameters():
            nn.init.normal_(parameter, std=0.2)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed.proj(images).flatten(2).transpose(1, 2)
        x = x + self.pos_embed[:, 1:]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(len(x), -1, -1)
        x = torch.cat([cls, x], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def decode(self, latent: torch.Tensor,
               ids_restore: torch.Tensor) -> torch.Tensor:
        x = self.decoder_embed(latent)
        masked = self.mask_token.repeat(
            len(x), ids_restore.shape[1] + 1 - x.shape[1], 1)
        patches = torch.cat([x[:, 1:], masked], dim=1)
        patches = torch.gather(patches, 1, ids_restore.unsqueeze(-1).repeat(
            1, 1, x.shape[2]))
        x = torch.cat([x[:, :1], patches], dim=1) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]


def build(cfg: dict) -> nn.Module:
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def tiny_mae() -> nn.Module:
    return build(dict(
        type='MAE',
        backbone=dict(type='MAEViT', arch=TINY_ARCH, img_size=IMG,
                      patch_size=PATCH),
        neck=dict(type='MAEPretrainDecoder', num_patches=GRID * GRID,
                  patch_size=PATCH, embed_dim=DIM,
                  decoder_embed_dim=DECODER_DIM, decoder_depth=1,
                  decoder_num_heads=HEADS),
        head=dict(type='MAEPretrainHead', patch_size=PATCH,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2'))))


def tiny_vit(**kwargs) -> nn.Module:
    return build(dict(type='VisionTransformer', arch=TINY_ARCH, img_size=IMG,
                      patch_size=PATCH, **kwargs))


def strip(state_dict: dict, prefix: str = 'backbone.') -> dict:
    return {k[len(prefix):]: v for k, v in state_dict.items()
            if k.startswith(prefix)}


def save(state_dict: dict, path: Path, key: str = 'model') -> Path:
    torch.save({key: state_dict}, path)
    return path


@pytest.fixture(scope='module')
def converter(load_script):
    return load_script('tools/model_converters/convert_mae.py')


def test_facebook_to_vit_gives_the_same_features(converter):
    torch.manual_seed(0)
    reference = FacebookMAE(with_decoder=False)
    converted, dropped = converter.convert(reference.state_dict(), 'vit')
    assert dropped == []
    vit = tiny_vit(out_type='raw', final_norm=True)
    vit.load_state_dict(strip(converted), strict=True)
    images = torch.randn(2, 3, IMG, IMG)
    with torch.no_grad():
        assert torch.allclose(vit(images)[0], reference.encode(images),
                              atol=1e-5)


def test_facebook_to_mae_gives_the_same_encoder_and_decoder(converter):
    torch.manual_seed(0)
    reference = FacebookMAE()
    converted, _ = converter.convert(reference.state_dict(), 'mae')
    mae = tiny_mae()
    mae.load_state_dict(converted, strict=True)
    images = torch.randn(2, 3, IMG, IMG)
    with torch.no_grad():
        torch.manual_seed(1)
        latent, _, ids_restore = mae.backbone(images)
        torch.manual_seed(1)
        noise = torch.rand(2, GRID * GRID)
        keep = torch.argsort(noise, dim=1)[:, :GRID * GRID // 4]
        x = reference.patch_embed.proj(images).flatten(2).transpose(1, 2)
        x = torch.gather(x + reference.pos_embed[:, 1:], 1,
                         keep.unsqueeze(-1).repeat(1, 1, DIM))
        cls = (reference.cls_token + reference.pos_embed[:, :1]).expand(
            2, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for block in reference.blocks:
            x = block(x)
        assert torch.allclose(latent, reference.norm(x), atol=1e-5)
        assert torch.allclose(
            mae.neck(latent, ids_restore),
            reference.decode(latent, ids_restore), atol=1e-5)


def test_encoder_only_release_misses_exactly_the_decoder(converter):
    converted, _ = converter.convert(
        FacebookMAE(with_decoder=False).state_dict(), 'mae')
    missing, unexpected = tiny_mae().load_state_dict(converted, strict=False)
    assert not unexpected
    assert missing and all(key.startswith('neck.') for key in missing)


def test_facebook_classifier_is_dropped_and_named(converter):
    state_dict = FacebookMAE(with_decoder=False).state_dict()
    state_dict['head.weight'] = torch.zeros(10, DIM)
    converted, dropped = converter.convert(state_dict, 'vit')
    assert dropped == ['head.weight']
    assert not any(key.startswith('head') for key in converted)


def test_ours_to_vit_documented_gaps_only(converter):
    ours = tiny_mae().state_dict()
    converted, dropped = converter.convert(ours, 'vit')
    assert set(dropped) == {k for k in ours if k.startswith('neck.')}
    tiny_vit(out_type='cls_token', final_norm=True).load_state_dict(
        strip(converted), strict=True)
    # The MAE fine-tuning setting: no final norm, averaged tokens.
    missing, unexpected = tiny_vit(
        out_type='avg_featmap', final_norm=False).load_state_dict(
            strip(converted), strict=False)
    assert {k.split('.')[0] for k in missing} == {'ln2'}
    assert {k.split('.')[0] for k in unexpected} == {'ln1'}


def vit_sam_config(tmp_path: Path, img_size: int, out_channels: int) -> Path:
    path = tmp_path / f'vit_sam_{img_size}_{out_channels}.py'
    path.write_text(
        'model = dict(backbone=dict(type="mmpretrain.ViTSAM", arch=dict('
        f'embed_dims={DIM}, num_layers={DEPTH}, num_heads={HEADS}, '
        f'feedforward_channels={4 * DIM}, global_attn_indexes=[1]), '
        f'img_size={img_size}, patch_size={PATCH}, window_size=4, '
        f'out_channels={out_channels}))\n')
    return path


def test_ours_to_vit_sam(converter, tmp_path):
    mae = tiny_mae()
    mae.init_weights()
    ours = mae.state_dict()
    converted, dropped = converter.convert(
        ours, 'vit-sam', str(vit_sam_config(tmp_path, 2 * IMG, 0)))
    assert {'backbone.cls_token', 'backbone.ln1.weight',
            'backbone.ln1.bias'} <= set(dropped)
    vit_sam = build(dict(type='ViTSAM', arch=dict(TINY_ARCH,
                                                  global_attn_indexes=[1]),
                         img_size=2 * IMG, patch_size=PATCH, window_size=4,
                         out_channels=0))
    vit_sam.load_state_dict(strip(converted), strict=True)
    assert converted['backbone.pos_embed'].shape == (1, 2 * GRID, 2 * GRID,
                                                     DIM)
    for key in ('layers.0.attn.rel_pos_h', 'layers.1.attn.rel_pos_w'):
        assert not vit_sam.state_dict()[key].any()
    assert torch.equal(vit_sam.layers[1].attn.qkv.weight,
                       ours['backbone.layers.1.attn.qkv.weight'])
    # Same grid: the sin-cos table without its class entry, unchanged.
    same, _ = converter.convert(ours, 'vit-sam',
                                str(vit_sam_config(tmp_path, IMG, 0)))
    assert torch.equal(same['backbone.pos_embed'].reshape(1, -1, DIM),
                       ours['backbone.pos_embed'][:, 1:])
    with torch.no_grad():
        features = vit_sam(torch.randn(1, 3, 2 * IMG, 2 * IMG))
    assert torch.isfinite(features[0]).all()


def test_vit_sam_with_neck_misses_only_the_neck(converter, tmp_path):
    converted, _ = converter.convert(
        tiny_mae().state_dict(), 'vit-sam',
        str(vit_sam_config(tmp_path, IMG, 8)))
    vit_sam = build(dict(type='ViTSAM', arch=dict(TINY_ARCH,
                                                  global_attn_indexes=[1]),
                         img_size=IMG, patch_size=PATCH, window_size=4,
                         out_channels=8))
    missing, unexpected = vit_sam.load_state_dict(strip(converted),
                                                  strict=False)
    assert not unexpected
    assert {k.split('.')[0] for k in missing} == {'channel_reduction'}


def test_vit_sam_checkpoint_initialises_a_classifier(converter, tmp_path):
    """What a ViTSAM classification config does with the checkpoint."""
    source = save(tiny_mae().state_dict(), tmp_path / 'mae.pth', 'state_dict')
    output = tmp_path / 'vit_sam.pth'
    converter.main([str(source), str(output), '--to', 'vit-sam', '--config',
                    str(vit_sam_config(tmp_path, IMG, 0))])
    classifier = build(dict(
        type='ImageClassifier',
        backbone=dict(type='ViTSAM', arch=dict(TINY_ARCH,
                                               global_attn_indexes=[1]),
                      img_size=IMG, patch_size=PATCH, window_size=4,
                      out_channels=0, out_type='avg_featmap',
                      init_cfg=dict(type='Pretrained', checkpoint=str(output),
                                    prefix='backbone.')),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=DIM,
                  loss=dict(type='CrossEntropyLoss'))))
    classifier.init_weights()
    weights = read_state_dict(output)
    for key, value in strip(weights).items():
        assert torch.equal(classifier.backbone.state_dict()[key], value), key


def test_vit_sam_needs_config_for_non_sam_archs(converter, tmp_path, capsys):
    source = save(tiny_mae().state_dict(), tmp_path / 'mae.pth')
    with pytest.raises(SystemExit) as exit_info:
        converter.main([str(source), str(tmp_path / 'out.pth'), '--to',
                        'vit-sam'])
    assert "none of SAM's ViTSAM archs" in str(exit_info.value)
    assert '--config' in str(exit_info.value)
    assert not (tmp_path / 'out.pth').exists()


def test_config_check_rejects_another_width(converter, tmp_path):
    config = tmp_path / 'wide_vit.py'
    config.write_text(
        'model = dict(type="ImageClassifier", _scope_="mmpretrain", '
        'backbone=dict(type="VisionTransformer", arch=dict(embed_dims=64, '
        'num_layers=2, num_heads=2, feedforward_channels=128), img_size=64, '
        'patch_size=16), head=dict(type="LinearClsHead", num_classes=2, '
        'in_channels=64))\n')
    with pytest.raises(converter.ConversionError, match='does not fit'):
        converter.convert(tiny_mae().state_dict(), 'vit', str(config))


@pytest.mark.parametrize('case', ['unknown keys', 'already mmpretrain',
                                  'exists', 'same file', 'not a checkpoint'])
def test_cli_refusals_are_one_line(converter, tmp_path, case):
    source = save(tiny_mae().state_dict(), tmp_path / 'mae.pth')
    output = tmp_path / 'out.pth'
    target = 'vit'
    if case == 'unknown keys':
        source = save({'image_encoder.pos_embed': torch.zeros(1)},
                      tmp_path / 'sam.pth')
    elif case == 'already mmpretrain':
        target = 'mae'
    elif case == 'exists':
        output.write_bytes(b'keep me')
    elif case == 'same file':
        output = source
    else:
        source.write_bytes(b'not a checkpoint')
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(SystemExit) as exit_info:
        converter.main([str(source), str(output), '--to', target])
    message = str(exit_info.value)
    assert message.startswith('convert_mae.py: error: ')
    assert '\n' not in message
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
