"""The configs/mae/ configs: what they build, the CPU-safe choices, preflight
on a fresh clone, and tools/dist_train.sh with the phantom config."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope
from mmpretrain.models import MAE

from mmdet.registry import DATASETS, MODELS
from ultrasam.utils.preflight import missing_input_files

CONFIG_DIR = Path('configs/mae')
CONFIGS = sorted(p.name for p in (Path(__file__).resolve().parents[2] /
                                  CONFIG_DIR).glob('*.py'))
PHANTOM = 'mae_vit-tiny-p16_phantom.py'


def load(repo_root: Path, name: str) -> Config:
    return Config.fromfile(str(repo_root / CONFIG_DIR / name))


def test_every_config_is_tested():
    assert set(CONFIGS) == {
        PHANTOM, 'usf-mae_vit-base-p16_224_us43d.py',
        'usf-mae_vit-large-p16_224_us43d.py',
        'usf-mae_vit-base-p16_224_us43d_in1k-mae-init.py',
        'usf-mae_vit-base-p16_224_us43d_in1k-mae-init_bf16.py'
    }


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_a_consistent_mae(repo_root, name):
    cfg = load(repo_root, name)
    with DefaultScope.overwrite_default_scope(cfg.default_scope), \
            torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert isinstance(model, MAE)
    assert cfg.default_scope == 'mmdet'
    size = model.backbone.patch_resolution[0] * model.head.patch_size
    crop = next(t for t in cfg.train_dataloader.dataset.pipeline
                if t.type == 'RandomResizedCrop')
    assert crop.scale == size == cfg.model.backbone.img_size
    assert model.neck.num_patches == model.backbone.num_patches
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    assert cfg.train_dataloader.dataset.get('holdout', [
        'BUS-BRA', 'MMOTU-2D', 'GIST514-DB'
    ]) == ['BUS-BRA', 'MMOTU-2D', 'GIST514-DB']
    assert not cfg.get('val_cfg') and not cfg.get('test_cfg')
    wrapper = cfg.optim_wrapper
    if name.endswith('_bf16.py'):
        assert wrapper.type == 'AmpOptimWrapper'
        assert wrapper.dtype == 'bfloat16'
    else:
        assert wrapper.type == 'OptimWrapper'
    assert wrapper.clip_grad == dict(max_norm=1.0)


def test_recipe_numbers(repo_root):
    cfg = load(repo_root, 'usf-mae_vit-base-p16_224_us43d.py')
    assert cfg.model.backbone.arch == 'b' and cfg.model.backbone.mask_ratio \
        == 0.75
    assert (cfg.model.neck.decoder_embed_dim, cfg.model.neck.decoder_depth,
            cfg.model.neck.decoder_num_heads) == (512, 8, 16)
    assert cfg.model.head.norm_pix is False
    assert cfg.train_dataloader.batch_size == 64
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.lr == pytest.approx(3e-4 * 64 / 256)
    assert optimizer.betas == (0.9, 0.95) and optimizer.weight_decay == 0.05
    warmup, cosine = cfg.param_scheduler
    assert (warmup.end, cosine.begin, cosine.end,
            cosine.eta_min) == (10, 10, 100, 1e-5)
    assert cfg.train_cfg == dict(type='EpochBasedTrainLoop', max_epochs=100)
    large = load(repo_root, 'usf-mae_vit-large-p16_224_us43d.py')
    assert large.model.backbone.arch == 'l'
    assert large.model.neck.embed_dim == 1024


def test_preflight_on_a_fresh_clone(repo_root, tmp_path, monkeypatch):
    """Nothing exists: the datasets write their manifests (and phantoms), so
    only the ImageNet-MAE checkpoint is reported."""
    monkeypatch.chdir(tmp_path)
    for name in CONFIGS:
        problems = missing_input_files(load(repo_root, name), 'train')
        if 'in1k-mae-init' in name:
            assert problems == [
                'checkpoint checkpoints/mae_pretrain_vit_base_mmpretrain-'
                'mae.pth (load_from) not found'
            ]
        else:
            assert problems == []


def test_dist_train_runs_the_phantom_config(repo_root, tmp_path):
    """tools/dist_train.sh: two CPU processes over gloo, two iterations."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [
            str(repo_root / 'tools' / 'dist_train.sh'),
            str(repo_root / CONFIG_DIR / PHANTOM), '2', '--work-dir',
            str(work_dir), '--cfg-options', 'train_cfg.max_iters=2',
            'param_scheduler.1.end=2', 'default_hooks.checkpoint.interval=2',
            'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
            'train_dataloader.num_workers=0',
            f'train_dataloader.dataset.ann_file={tmp_path / "manifest.json"}',
            f'train_dataloader.dataset.sources.0.phantom={tmp_path / "ph"}',
            'train_dataloader.dataset.sources.0.generator.num_train=8',
            'train_dataloader.dataset.sources.0.generator.num_test=1',
            'train_dataloader.dataset.sources.0.generator.image_size=64'
        ],
        cwd=repo_root,
        env=dict(os.environ, PYTHON=sys.executable, PORT=str(port),
                 OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'GPU number: 2' in log
    assert 'Iter(train) [2/2]' in log
    assert (work_dir / 'iter_2.pth').is_file()


def test_recipe_pipeline_and_model_on_a_us43d_build(repo_root, tmp_path):
    """The ViT-B recipe end to end on a tiny US-43d folder: pipeline (overlay
    removal, rotation, flips, RandomResizedCrop), collate, loss."""
    images = []
    for index, source in enumerate(['BUSI', 'CAMUS', 'BUS-BRA']):
        pixels = np.random.default_rng(index).integers(0, 255, (300, 400),
                                                        np.uint8)
        cv2.putText(pixels, 'L 2.1cm', (20, 40), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6, 255, 1)
        path = tmp_path / 'us43d' / 'images' / source / f'{index}.png'
        path.parent.mkdir(parents=True)
        cv2.imwrite(str(path), pixels)
        images.append(dict(id=index, file_name=f'{source}/{index}.png',
                           height=300, width=400, source=source))
    (tmp_path / 'us43d' / 'annotations').mkdir()
    (tmp_path / 'us43d' / 'annotations' / 'train.json').write_text(
        json.dumps(dict(images=images, annotations=[], categories=[])))
    cfg = load(repo_root, 'usf-mae_vit-base-p16_224_us43d.py')
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.sources[0].us43d = str(tmp_path / 'us43d')
    dataset_cfg.ann_file = str(tmp_path / 'manifest.json')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = DATASETS.build(dataset_cfg)
        model = MODELS.build(cfg.model)
    assert len(dataset) == 2  # BUS-BRA held out
    batch = default_collate([dataset[0], dataset[1]])
    assert batch['inputs'].shape == (2, 3, 224, 224)
    assert batch['inputs'].dtype == torch.uint8
    with torch.no_grad():
        losses = model(**model.data_preprocessor(batch, True), mode='loss')
    assert torch.isfinite(losses['loss'])
