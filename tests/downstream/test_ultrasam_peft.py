"""PEFT of the promptable UltraSam: LoRA on the encoder with the decoder
trained or frozen by config, every part initialised from a checkpoint, LoRA-only
encoder checkpoints, and the merge back to a plain UltraSam checkpoint."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from ultrasam.engine.hooks import count_parameters
from ultrasam.utils import load_model_weights, read_state_dict

REPO = Path(__file__).parents[2]
PEFT = REPO / 'configs' / 'ultrasam' / 'peft'
GENERATOR = dict(num_train=8, num_test=0, seed=0, image_size=64)


def init_options(checkpoint: Path):
    return {f'model.{part}.init_cfg.checkpoint': str(checkpoint)
            for part in ('backbone.module', 'prompt_encoder', 'mask_decoder')}


def build(config: Path, checkpoint: Path) -> torch.nn.Module:
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(init_options(checkpoint))
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('variant,decoder_trains',
                         [('lora', True), ('lora-frozen-decoder', False)])
def test_every_part_loads_and_only_what_is_asked_trains(
        init_checkpoint, variant, decoder_trains):
    model = build(PEFT / f'ultrasam_vitt_phantom_{variant}.py',
                  init_checkpoint)
    checkpoint = read_state_dict(init_checkpoint)
    for name, value in model.backbone.module.state_dict().items():
        if '.lora_' not in name:
            torch.testing.assert_close(
                value, checkpoint['backbone.' +
                                  name.replace('.original_layer', '')])
    for part in ('prompt_encoder', 'mask_decoder'):
        for name, value in getattr(model, part).state_dict().items():
            torch.testing.assert_close(value, checkpoint[f'{part}.{name}'])
    trained = {name for name, p in model.named_parameters()
               if p.requires_grad}
    assert {name for name in trained if name.startswith('backbone.')} == {
        f'backbone.module.layers.{layer}.attn.qkv.lora_{side}.weight'
        for layer in (0, 1) for side in ('down', 'up')}
    assert any(n.startswith('mask_decoder.') for n in trained) == \
        decoder_trains
    counts = count_parameters(model)
    # Two layers of rank-16 LoRA on a 96 -> 288 qkv projection.
    assert counts['backbone'][0] == 2 * 16 * (96 + 288)
    model.train()
    assert model.mask_decoder.training == decoder_trains
    assert model.backbone.training


def test_frozen_decoder_run_saves_lora_only_and_merges(
        tmp_path, init_checkpoint, load_script):
    config = PEFT / 'ultrasam_vitt_phantom_lora-frozen-decoder.py'
    options = [f'{key}={value}'
               for key, value in init_options(init_checkpoint).items()]
    for loader in ('train_dataloader', 'test_dataloader'):
        options.append(f'{loader}.dataset.data_root={tmp_path}/phantom/')
        options += [f'{loader}.dataset.generator.{key}={value}'
                    for key, value in GENERATOR.items()]
    load_script('tools/train.py').main([
        str(config), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
        'train_dataloader.num_workers=0', *options])
    saved = read_state_dict(tmp_path / 'work' / 'iter_2.pth')
    encoder = [key for key in saved if key.startswith('backbone.')]
    assert encoder and all('.lora_' in key for key in encoder)
    initial = read_state_dict(init_checkpoint)
    for key, value in saved.items():
        if key.startswith(('prompt_encoder.', 'mask_decoder.')):
            assert torch.equal(value, initial[key]), key
    assert saved['backbone.module.layers.0.attn.qkv.lora_up.weight'].any()

    merged = tmp_path / 'merged.pth'
    load_script('tools/model_converters/merge_lora.py').main([
        str(config), str(tmp_path / 'work' / 'iter_2.pth'), str(merged),
        '--cfg-options', *options[:3]])
    plain_cfg = Config.fromfile(
        str(REPO / 'configs' / 'ultrasam' / 'ultrasam_vitt_phantom.py'))
    with DefaultScope.overwrite_default_scope('mmdet'):
        plain = MODELS.build(plain_cfg.model)
    load_model_weights(plain, merged, strict=True)
    assert not torch.equal(
        plain.backbone.layers[0].attn.qkv.weight,
        initial['backbone.layers.0.attn.qkv.weight'])


def test_unknown_part_is_an_error(init_checkpoint):
    cfg = Config.fromfile(str(PEFT / 'ultrasam_vitt_phantom_lora.py'))
    cfg.merge_from_dict(init_options(init_checkpoint))
    cfg.model.frozen = ('decoder', )
    with DefaultScope.overwrite_default_scope('mmdet'), pytest.raises(
            ValueError, match=r"names \['decoder'\]; the parts are"):
        MODELS.build(cfg.model)
