"""The phantom LoRA config through the tools: tools/train.py saves LoRA-only
checkpoints and resumes, merge_lora.py folds them into a plain checkpoint that
computes the same, tools/test.py tests both (the LoRA model is built on the
CPU for the checkpoint check: it loads its encoder's weights while being built,
which the meta device cannot), prints macro-F1 and writes results.csv."""
import csv
from pathlib import Path
from typing import List

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from ultrasam.utils import load_model_weights, read_state_dict

CLS = Path(__file__).parents[2] / 'configs' / 'downstream' / 'classification'
LORA = CLS / 'vitsam-t_ultrasam_lora_phantom.py'
FULL = CLS / 'vitsam-t_ultrasam_full_phantom.py'
# A small phantom set at 64 px (the preprocessor resizes to the model's 256).
GENERATOR = dict(num_train=12, num_test=6, seed=1, image_size=64)


def options(root: Path, init_checkpoint: Path, lora: bool) -> List[str]:
    """``--cfg-options`` for the small set, CPU-light loaders and the tiny
    UltraSam weights as the encoder initialisation."""
    encoder = 'model.backbone.module' if lora else 'model.backbone'
    values = [f'{encoder}.init_cfg.checkpoint={init_checkpoint}',
              'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
              'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        values += [f'{loader}.dataset.data_root={root}/',
                   f'{loader}.dataset.val_images=4', f'{loader}.num_workers=0',
                   f'{loader}.batch_size=4']
        values += [f'{loader}.dataset.generator.{key}={value}'
                   for key, value in GENERATOR.items()]
    return values


def test_lora_trains_resumes_merges_and_tests(tmp_path, init_checkpoint,
                                              load_script):
    train = load_script('tools/train.py').main
    test = load_script('tools/test.py').main
    merge = load_script('tools/model_converters/merge_lora.py').main
    root, work = tmp_path / 'phantom', tmp_path / 'lora'
    lora_options = options(root, init_checkpoint, lora=True)

    train([str(LORA), '--work-dir', str(work), '--cfg-options',
           'train_cfg.max_iters=2', *lora_options])
    first = read_state_dict(work / 'iter_2.pth')
    # Only the LoRA weights of the encoder, and the head, are saved.
    assert sorted(first) == [
        'backbone.module.layers.0.attn.qkv.lora_down.weight',
        'backbone.module.layers.0.attn.qkv.lora_up.weight',
        'backbone.module.layers.1.attn.qkv.lora_down.weight',
        'backbone.module.layers.1.attn.qkv.lora_up.weight',
        'head.fc.bias', 'head.fc.weight'
    ]
    train([str(LORA), '--work-dir', str(work), '--resume', '--cfg-options',
           'train_cfg.max_iters=4', *lora_options])
    resumed = torch.load(work / 'iter_4.pth', weights_only=False)
    assert resumed['meta']['iter'] == 4
    assert not torch.equal(
        resumed['state_dict']['head.fc.weight'], first['head.fc.weight'])

    merged = tmp_path / 'merged.pth'
    merge([str(LORA), str(work / 'iter_4.pth'), str(merged), '--cfg-options',
           f'model.backbone.module.init_cfg.checkpoint={init_checkpoint}'])
    test_dir = tmp_path / 'test'
    test([str(FULL), str(merged), '--work-dir', str(test_dir),
          '--cfg-options', *options(root, init_checkpoint, lora=False)])
    log = next(test_dir.glob('*/*.log')).read_text()
    assert 'cls/macro_f1: ' in log and 'cls/accuracy: ' in log
    with open(test_dir / 'results.csv') as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 1 and rows[0]['dataset'] == 'phantom'
    assert rows[0]['init'] == 'UltraSam' and rows[0]['images'] == '6'
    assert list(test_dir.glob('*/confusion_matrix_test.png'))

    # The LoRA-only checkpoint itself scores what its merged form scores.
    lora_test_dir = tmp_path / 'test_lora'
    test([str(LORA), str(work / 'iter_4.pth'), '--work-dir',
          str(lora_test_dir), '--cfg-options', *lora_options])
    with open(lora_test_dir / 'results.csv') as file:
        lora_rows = list(csv.DictReader(file))
    assert lora_rows[0]['tuning'] == 'lora'
    for metric in ('accuracy', 'macro_f1'):
        assert float(lora_rows[0][metric]) == pytest.approx(
            float(rows[0][metric]), abs=1e-6)


def _model(config: Path, init_checkpoint: Path, lora: bool):
    cfg = Config.fromfile(str(config))
    encoder = cfg.model.backbone.module if lora else cfg.model.backbone
    encoder.init_cfg.checkpoint = str(init_checkpoint)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def test_merged_weights_compute_the_lora_model(tmp_path, init_checkpoint,
                                               load_script):
    """LoRA weights far from their zero start: the plain model loads the
    merged checkpoint strictly and gives the same logits."""
    torch.manual_seed(0)
    lora = _model(LORA, init_checkpoint, lora=True)
    with torch.no_grad():
        for name, parameter in lora.named_parameters():
            if '.lora_' in name or name.startswith('head.'):
                parameter.normal_()
    torch.save(dict(state_dict=lora.state_dict()), tmp_path / 'lora.pth')
    load_script('tools/model_converters/merge_lora.py').main([
        str(LORA), str(tmp_path / 'lora.pth'), str(tmp_path / 'merged.pth'),
        '--cfg-options',
        f'model.backbone.module.init_cfg.checkpoint={init_checkpoint}'])
    plain = _model(FULL, init_checkpoint, lora=False)
    load_model_weights(plain, tmp_path / 'merged.pth', strict=True)
    images = torch.rand(2, 3, 256, 256)
    with torch.no_grad():
        expected = lora.head.fc(lora.backbone(images)[-1])
        merged = plain.head.fc(plain.backbone(images)[-1])
    torch.testing.assert_close(merged, expected, rtol=1e-4, atol=1e-4)


def test_merge_refuses_to_overwrite_inputs(tmp_path, init_checkpoint,
                                           load_script):
    merge = load_script('tools/model_converters/merge_lora.py').main
    init_option = f'model.backbone.module.init_cfg.checkpoint={init_checkpoint}'
    before = init_checkpoint.read_bytes()
    with pytest.raises(SystemExit, match='the same file'):
        merge([str(LORA), str(init_checkpoint), str(init_checkpoint),
               '--force', '--cfg-options', init_option])
    with pytest.raises(SystemExit, match='checkpoint .*missing.pth not found'):
        merge([str(LORA), str(tmp_path / 'missing.pth'),
               str(tmp_path / 'out.pth'), '--cfg-options', init_option])
    torch.save(dict(state_dict=dict(x=torch.zeros(1))), tmp_path / 'x.pth')
    with pytest.raises(SystemExit, match='does not fit the model'):
        merge([str(LORA), str(tmp_path / 'x.pth'), str(tmp_path / 'out.pth'),
               '--cfg-options', init_option])
    assert init_checkpoint.read_bytes() == before
    assert not (tmp_path / 'out.pth').exists()
