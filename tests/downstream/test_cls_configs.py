"""What the classification configs promise beyond loading (tests/test_configs.py
builds them): initialisations with the backbone prefix, the builders' classes,
the demo encoder's architecture, equal budgets of the phantom runs."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from ultrasam.datasets.classification.builders import all_specs

REPO = Path(__file__).parents[2]
CLS = REPO / 'configs' / 'downstream' / 'classification'
LEAVES = sorted(p for p in CLS.rglob('*.py') if '_base_' not in p.parts)
PHANTOM = sorted(CLS.glob('*_phantom.py'))


def _encoder(cfg: Config) -> dict:
    backbone = cfg.model.backbone
    return backbone.module if backbone.type == 'LoRAModel' else backbone


@pytest.mark.parametrize('config', LEAVES, ids=[p.name for p in LEAVES])
def test_initialisation_and_classes(config):
    cfg = Config.fromfile(str(config))
    init = _encoder(cfg).get('init_cfg')
    if config.name.startswith('vitsam-t_scratch'):
        assert init is None
    else:
        # The original "ImageNet ViT" baseline had no prefix: nothing loaded.
        assert init.type == 'Pretrained' and init.prefix == 'backbone.'
        assert init.checkpoint.startswith(('checkpoints/', 'work_dirs/'))
    classes = cfg.test_dataloader.dataset.get('metainfo', {}).get('classes')
    if classes is not None:
        assert cfg.model.head.num_classes == len(classes)
    hook = cfg.default_hooks.results
    assert hook.init and hook.tuning
    # The input size is set in two places (preprocessor, position grid).
    assert cfg.model.data_preprocessor.size == _encoder(cfg).get(
        'img_size', cfg.model.data_preprocessor.size)


def test_dataset_configs_match_the_builders():
    for spec in all_specs():
        cfg = Config.fromfile(
            str(CLS / '_base_' / 'datasets' / f'{spec.slug}.py'))
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            dataset = cfg[loader].dataset
            assert dataset.metainfo.classes == spec.classes
            assert dataset.name == spec.name
            assert dataset.data_root == f'data/classification/{spec.slug}/'
        assert cfg.num_classes == len(spec.classes)
        assert (CLS / spec.slug / f'ultrasam_full_{spec.slug}.py').is_file()


def test_tiny_encoder_is_the_demo_ultrasams():
    """So the `make demo` checkpoint's backbone.* weights fit."""
    demo = Config.fromfile(
        str(REPO / 'configs' / 'ultrasam' / 'ultrasam_vitt_phantom.py'))
    tiny = Config.fromfile(str(PHANTOM[0])).model.backbone
    for key in ('arch', 'img_size', 'patch_size', 'window_size',
                'use_abs_pos', 'use_rel_pos'):
        assert tiny[key] == demo.model.backbone[key], key


def test_phantom_runs_have_equal_budgets():
    budgets = {}
    for path in PHANTOM:
        cfg = Config.fromfile(str(path))
        budgets[path.name] = json.dumps(
            [cfg.train_cfg, cfg.optim_wrapper, cfg.param_scheduler,
             cfg.train_dataloader.batch_size], sort_keys=True)
    assert len(budgets) == 6 and len(set(budgets.values())) == 1, budgets
