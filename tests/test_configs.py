"""Every config in configs/ loads and builds its model (a config that crashes is a defect)."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

CONFIG_ROOT = Path(__file__).parents[1] / 'configs'
CONFIGS = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)
_built_models = {}


def _build_once(model_cfg: dict) -> torch.nn.Module:
    """Build a model on the meta device (no memory, no init cost), once per
    distinct model config: many test configs share the same model."""
    from mmdet.registry import MODELS
    key = json.dumps(model_cfg, sort_keys=True, default=str)
    if key not in _built_models:
        with torch.device('meta'):
            _built_models[key] = MODELS.build(model_cfg)
    return _built_models[key]


@pytest.mark.parametrize(
    'config', CONFIGS, ids=[str(p.relative_to(CONFIG_ROOT)) for p in CONFIGS])
def test_config_loads_and_builds(config):
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'mmdet'
    init_default_scope(cfg.default_scope)
    model = _build_once(cfg.model.to_dict())
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
        val_ann = cfg.val_dataloader.dataset.get('ann_file')
        test_ann = cfg.test_dataloader.dataset.get('ann_file')
        val_root = cfg.val_dataloader.dataset.get('data_root')
        test_root = cfg.test_dataloader.dataset.get('data_root')
        assert (val_root, val_ann) != (test_root, test_ann)
