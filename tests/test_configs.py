"""Every config in configs/ loads and builds its model (a config that crashes is a defect)."""
import copy
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import MODELS, DefaultScope

CONFIG_ROOT = Path(__file__).parents[1] / 'configs'
CONFIGS = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)
# Classification configs build MMPretrain models in MMPretrain's scope (see
# configs/downstream/classification/_base_/default_runtime.py).
MMPRETRAIN_SCOPED = CONFIG_ROOT / 'downstream' / 'classification'
_built_models = {}


def _without_pretrained(node: object) -> object:
    """The config with every ``Pretrained`` init_cfg removed: checkpoints are
    not part of the repository (their loading is tested where they are made),
    and mmpretrain's LoRAModel loads its module's checkpoint while it is
    built."""
    if isinstance(node, dict):
        return {key: (None if key == 'init_cfg' and isinstance(value, dict)
                      and value.get('type') == 'Pretrained' else
                      _without_pretrained(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_without_pretrained(value) for value in node]
    return node


def _build_once(model_cfg: dict, scope: str) -> torch.nn.Module:
    """Build a model on the meta device (no memory, no init cost), once per
    distinct model config: many test configs share the same model. A head's
    class count does not change the rest of the model; the head is built
    separately for each. Models that cannot be built on the meta device
    (mmpretrain's ResNet calls ``.item()`` while building) are built on the
    CPU."""
    # A ConfigDict, as in a run: mmdet's two-stage detectors read their
    # train_cfg / test_cfg by attribute.
    model_cfg = ConfigDict(_without_pretrained(copy.deepcopy(model_cfg)))
    head = model_cfg.get('head')
    shared = dict(model_cfg, head=dict(head, num_classes=None)) if isinstance(
        head, dict) and 'num_classes' in head else model_cfg
    key = json.dumps([scope, shared], sort_keys=True, default=str)
    with DefaultScope.overwrite_default_scope(scope):
        if key not in _built_models:
            try:
                with torch.device('meta'):
                    _built_models[key] = MODELS.build(model_cfg)
            except RuntimeError:
                _built_models[key] = MODELS.build(model_cfg)
        elif shared is not model_cfg:
            with torch.device('meta'):
                MODELS.build(head)
    return _built_models[key]


def _split_source(dataset: dict) -> tuple:
    return tuple(dataset.get(key) for key in ('data_root', 'ann_file',
                                              'split'))


@pytest.mark.parametrize(
    'config', CONFIGS, ids=[str(p.relative_to(CONFIG_ROOT)) for p in CONFIGS])
def test_config_loads_and_builds(config):
    cfg = Config.fromfile(str(config))
    expected_scope = ('mmpretrain' if MMPRETRAIN_SCOPED in config.parents
                      else 'mmdet')
    assert cfg.default_scope == expected_scope
    model = _build_once(cfg.model.to_dict(), cfg.default_scope)
    assert type(model).__name__ == cfg.model.type
    # Self-supervised pretraining models (MAE) have no predict mode, hence no
    # test loop; every other model must be testable.
    testable = hasattr(model, 'predict')
    assert (cfg.get('test_dataloader') is not None) == testable, (
        f'{config} cannot be tested' if testable else
        f'{config}: {cfg.model.type} has no predict mode but a test loop')
    if cfg.get('train_dataloader') is None:
        return
    # A training config validates (on its own split) or says it does not.
    assert (cfg.get('val_dataloader') is None) == (cfg.get('val_cfg') is None), (
        f'{config}: val_dataloader and val_cfg must be set or unset together')
    if cfg.get('val_dataloader') is not None:
        # Never validate on the test annotations (a defect of the original release).
        assert _split_source(cfg.val_dataloader.dataset) != _split_source(
            cfg.test_dataloader.dataset)
