"""Every initialisation of the classification configs really loads: each
backbone weight equals the checkpoint's (no key missing, nothing left at its
random init), for every checkpoint kind the configs accept."""
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from segment_anything.modeling import ImageEncoderViT

from ultrasam.utils import read_state_dict

CLS = Path(__file__).parents[2] / 'configs' / 'downstream' / 'classification'
TINY = CLS / 'vitsam-t_ultrasam_full_phantom.py'
StateDict = Dict[str, torch.Tensor]


def build(config: Path,
          checkpoint: Optional[Path] = None,
          **backbone) -> torch.nn.Module:
    """The config's classifier initialised from ``checkpoint`` by its own
    Pretrained init_cfg (randomly when None)."""
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.update(backbone)
    encoder = (cfg.model.backbone.module
               if cfg.model.backbone.type == 'LoRAModel' else
               cfg.model.backbone)
    assert encoder.init_cfg.type == 'Pretrained'
    assert encoder.init_cfg.prefix == 'backbone.'
    encoder.init_cfg = None if checkpoint is None else dict(
        encoder.init_cfg, checkpoint=str(checkpoint))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def assert_loaded(weights: StateDict, checkpoint: StateDict,
                  new: Sequence[str] = ()) -> None:
    """Every weight (but the ``new`` ones) equals ``backbone.<name>`` of the
    checkpoint."""
    checked = 0
    for name, value in weights.items():
        if any(part in name for part in new):
            continue
        key = 'backbone.' + name.replace('.original_layer', '')
        assert key in checkpoint, f'{key} missing from the checkpoint'
        torch.testing.assert_close(value, checkpoint[key], msg=key)
        checked += 1
    assert checked > 20


def randomised(module: torch.nn.Module, seed: int) -> StateDict:
    """Its state dict with every floating tensor drawn at random (zero-init
    tables would load "equal" by accident)."""
    generator = torch.Generator().manual_seed(seed)
    return {key: torch.randn(value.shape, generator=generator)
            if value.is_floating_point() else value
            for key, value in module.state_dict().items()}


def test_ultrasam_checkpoint(init_checkpoint):
    """A (tiny) UltraSam checkpoint of this package: backbone.*, plus the
    neck, prompt encoder and decoder the classifier does not use."""
    model = build(TINY, init_checkpoint)
    assert_loaded(model.backbone.state_dict(), read_state_dict(
        init_checkpoint))


def test_ultrasam_checkpoint_under_lora_and_adapters(init_checkpoint):
    checkpoint = read_state_dict(init_checkpoint)
    lora = build(CLS / 'vitsam-t_ultrasam_lora_phantom.py', init_checkpoint)
    assert_loaded(lora.backbone.module.state_dict(), checkpoint,
                  new=('.lora_', ))
    adapter = build(CLS / 'vitsam-t_ultrasam_adapter_phantom.py',
                    init_checkpoint)
    assert_loaded(adapter.backbone.state_dict(), checkpoint,
                  new=('_adapter.', ))


def test_sam_and_medsam_checkpoints(load_script, tmp_path):
    """segment-anything's format (SAM and MedSAM), converted by
    sam_to_ultrasam.py's key mapping."""
    torch.manual_seed(0)
    encoder = ImageEncoderViT(
        img_size=256, patch_size=16, embed_dim=96, depth=2, num_heads=4,
        mlp_ratio=4.0, out_chans=64, qkv_bias=True, use_rel_pos=True,
        window_size=8, global_attn_indexes=(1, ))
    sam = {f'image_encoder.{key}': value
           for key, value in randomised(encoder, 1).items()}
    convert = load_script('tools/model_converters/sam_to_ultrasam.py')
    converted = convert.convert_sam(sam)
    torch.save(dict(state_dict=converted), tmp_path / 'sam.pth')
    model = build(TINY, tmp_path / 'sam.pth')
    assert_loaded(model.backbone.state_dict(), converted)


def test_mae_checkpoint_with_vitsam_keys(tmp_path):
    """What the MAE -> ViTSAM converter writes: a bare dict of backbone.*."""
    reference = build(TINY)
    mae = {f'backbone.{key}': value
           for key, value in randomised(reference.backbone, 2).items()}
    torch.save(mae, tmp_path / 'mae.pth')
    model = build(TINY, tmp_path / 'mae.pth')
    assert_loaded(model.backbone.state_dict(), mae)


def timm_vit(seed: int, depth: int = 2, dims: int = 96,
             grid: int = 14) -> StateDict:
    """A timm ViT state dict (class token, 224 px grid, final norm, head)."""
    generator = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=generator)

    state = dict(cls_token=rand(1, 1, dims),
                 pos_embed=rand(1, 1 + grid * grid, dims),
                 **{'patch_embed.proj.weight': rand(dims, 3, 16, 16),
                    'patch_embed.proj.bias': rand(dims),
                    'norm.weight': rand(dims), 'norm.bias': rand(dims),
                    'head.weight': rand(1000, dims), 'head.bias': rand(1000)})
    for block in range(depth):
        for name, shape in (('norm1', (dims, )), ('attn.qkv', (3 * dims, dims)),
                            ('attn.proj', (dims, dims)), ('norm2', (dims, )),
                            ('mlp.fc1', (4 * dims, dims)),
                            ('mlp.fc2', (dims, 4 * dims))):
            state[f'blocks.{block}.{name}.weight'] = rand(*shape)
            state[f'blocks.{block}.{name}.bias'] = rand(shape[0])
    return state


def test_imagenet_vit_checkpoint(load_script, tmp_path, capsys):
    """vit_to_vitsam.py: the class token dropped, the 14 x 14 position grid
    resized to the model's 16 x 16, relative-position tables zero."""
    timm = timm_vit(3)
    torch.save(dict(model=timm), tmp_path / 'timm.pth')
    load_script('tools/model_converters/vit_to_vitsam.py').main([
        str(tmp_path / 'timm.pth'), str(tmp_path / 'vit.pth'),
        '--img-size', '256', '--num-heads', '4', '--window-size', '8',
        '--global-attn-indexes', '1'])
    assert 'dropped: cls_token, norm.weight, norm.bias, head.weight, ' \
        'head.bias' in capsys.readouterr().out
    converted = read_state_dict(tmp_path / 'vit.pth')
    model = build(TINY, tmp_path / 'vit.pth')
    assert_loaded(model.backbone.state_dict(), converted)
    backbone = model.backbone.state_dict()
    torch.testing.assert_close(backbone['layers.1.attn.qkv.weight'],
                               timm['blocks.1.attn.qkv.weight'])
    grid = timm['pos_embed'][:, 1:].reshape(1, 14, 14, 96).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(16, 16), mode='bicubic',
                             align_corners=False).permute(0, 2, 3, 1)
    torch.testing.assert_close(backbone['pos_embed'], expected)
    assert not backbone['layers.0.attn.rel_pos_h'].any()


def test_vit_converter_errors_in_one_line(load_script, tmp_path):
    main = load_script('tools/model_converters/vit_to_vitsam.py').main
    torch.save({'blocks.0.attn.qkv.weight': torch.zeros(3, 1),
                'something.else': torch.zeros(1)}, tmp_path / 'other.pth')
    with pytest.raises(SystemExit, match=r"^vit_to_vitsam.py: error: .*"
                       r"unexpected key 'something.else'"):
        main([str(tmp_path / 'other.pth'), str(tmp_path / 'out.pth')])
    torch.save(timm_vit(4), tmp_path / 'timm.pth')
    with pytest.raises(SystemExit, match='not a multiple of the patch size'):
        main([str(tmp_path / 'timm.pth'), str(tmp_path / 'out.pth'),
              '--img-size', '250'])
    with pytest.raises(SystemExit, match='2 layers: pass --global-attn'):
        main([str(tmp_path / 'timm.pth'), str(tmp_path / 'out.pth')])
    (tmp_path / 'out.pth').write_text('mine')
    with pytest.raises(SystemExit, match='exists; pass --force'):
        main([str(tmp_path / 'timm.pth'), str(tmp_path / 'out.pth')])
    assert (tmp_path / 'out.pth').read_text() == 'mine'


def test_imagenet_resnet50_checkpoint(tmp_path):
    """MMPretrain's ImageNet ResNet-50 (backbone.* and head.fc.* keys) into
    the ResNet-50 configs."""
    config = CLS / 'busbra' / 'imagenet-resnet50_full_busbra.py'
    reference = build(config)
    checkpoint = {f'backbone.{key}': value
                  for key, value in randomised(reference.backbone, 5).items()}
    checkpoint['head.fc.weight'] = torch.zeros(1000, 2048)
    torch.save(dict(state_dict=checkpoint), tmp_path / 'resnet50.pth')
    model = build(config, tmp_path / 'resnet50.pth')
    assert_loaded(model.backbone.state_dict(), checkpoint)
