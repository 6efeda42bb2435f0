"""The encoder initialisations of the segmentation configs really load: every
backbone weight equals the checkpoint's ``backbone.*`` (no key missing,
nothing left at its random init), for the tiny phantom configs and the
ViT-SAM-B and ResNet-50 configs of the public datasets."""
from pathlib import Path
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdet.registry import MODELS
from ultrasam.utils import read_state_dict

SEG = Path(__file__).parents[2] / 'configs' / 'downstream' / 'segmentation'
StateDict = Dict[str, torch.Tensor]


def build(config: Path, checkpoint: Path) -> torch.nn.Module:
    """The config's model initialised by its own Pretrained init_cfg, read
    from ``checkpoint``."""
    cfg = Config.fromfile(str(config))
    init_cfg = cfg.model.backbone.init_cfg
    assert init_cfg.type == 'Pretrained' and init_cfg.prefix == 'backbone.'
    init_cfg.checkpoint = str(checkpoint)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def randomised(module: torch.nn.Module, seed: int) -> StateDict:
    """Its state dict with every floating tensor drawn at random (zero-init
    tables would load "equal" by accident)."""
    generator = torch.Generator().manual_seed(seed)
    return {key: torch.randn(value.shape, generator=generator)
            if value.is_floating_point() else value
            for key, value in module.state_dict().items()}


def assert_backbone_loaded(model: torch.nn.Module,
                           checkpoint: StateDict) -> None:
    weights = model.backbone.state_dict()
    for name, value in weights.items():
        key = 'backbone.' + name
        assert key in checkpoint, f'{key} missing from the checkpoint'
        torch.testing.assert_close(value, checkpoint[key], msg=key)
    assert len(weights) > 20


@pytest.mark.parametrize('config', [
    'vitsam-t_mask2former_ultrasam_phantom.py',
    'vitsam-t_mask-rcnn_ultrasam_phantom.py'
])
def test_tiny_ultrasam_checkpoint(config, init_checkpoint):
    """The tiny UltraSam checkpoint (backbone.* plus the prompt encoder and
    decoder the detectors do not use) of the phantom configs."""
    assert_backbone_loaded(build(SEG / config, init_checkpoint),
                           read_state_dict(init_checkpoint))


def test_sam_vit_b_checkpoint(tmp_path):
    """A converted SAM ViT-B (sam_to_ultrasam.py layout: the encoder with its
    256-d neck, then the rest) into the ViT-SAM-B Mask2Former of BUS-BRA."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        encoder = MODELS.build(dict(type='FastViTSAM', arch='base',
                                    img_size=1024, out_channels=256))
    checkpoint = {f'backbone.{k}': v
                  for k, v in randomised(encoder, seed=0).items()}
    checkpoint['mask_decoder.iou_token.weight'] = torch.zeros(1, 256)
    path = tmp_path / 'sam.pth'
    torch.save(dict(state_dict=checkpoint), path)
    model = build(SEG / 'busbra' / 'mask2former_sam_busbra.py', path)
    assert model.backbone.out_channels == 0
    assert_backbone_loaded(model, checkpoint)


def test_imagenet_resnet50_checkpoint(tmp_path):
    """MMPretrain's ImageNet ResNet-50 checkpoint layout (backbone.*, head.*)
    into mmdet's ResNet-50 of the Mask R-CNN baseline."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        resnet = MODELS.build(dict(type='mmpretrain.ResNet', depth=50))
    checkpoint = {f'backbone.{k}': v
                  for k, v in randomised(resnet, seed=1).items()}
    checkpoint['head.fc.weight'] = torch.zeros(1000, 2048)
    path = tmp_path / 'resnet50.pth'
    torch.save(dict(state_dict=checkpoint), path)
    model = build(SEG / 'busbra' / 'mask-rcnn_imagenet-resnet50_busbra.py',
                  path)
    assert_backbone_loaded(model, checkpoint)
