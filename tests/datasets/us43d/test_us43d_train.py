"""A US-43d built from fixtures trains with tools/train.py on the main recipe
(configs/ultrasam/ultrasam_vitb_us43d.py: its data, pipelines and schedule)
with the model overridden to a tiny 256 px one, and is evaluated per source
with tools/test.py."""
import json
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

import ultrasam
from ultrasam.datasets.us43d import BuildSettings, Builder
from us43d_fixtures import brachial_plexus, busi, camus, thyroid_bundle

REPO = Path(ultrasam.__file__).resolve().parent.parent
MAIN_CONFIG = REPO / 'configs' / 'ultrasam' / 'ultrasam_vitb_us43d.py'
# The main recipe with a 2-layer 96-d encoder and 64-d prompt encoder /
# decoder at 256 px, from scratch (no SAM checkpoint to load).
SIZE = 256
TINY_MODEL = f"""
load_from = None
model = dict(
    data_preprocessor=dict(pad_size_divisor={SIZE}),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=96, num_layers=2, num_heads=4,
                  feedforward_channels=384, global_attn_indexes=[1]),
        img_size={SIZE}, window_size=8, out_channels=64),
    prompt_encoder=dict(
        embed_dims=64, image_embedding_size=({SIZE // 16}, {SIZE // 16}),
        input_image_size=({SIZE}, {SIZE})),
    mask_decoder=dict(
        embed_dims=64, iou_head_hidden_dims=64,
        transformer=dict(embed_dims=64, num_heads=4, mlp_dims=256)))
"""
TIMEOUT_S = 300


def _run(args) -> None:
    result = subprocess.run([sys.executable] + [str(a) for a in args],
                            cwd=REPO, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-5000:])


# Index of the Resize step in the recipe's train and test pipelines.
RESIZE = 3


def test_the_recipe_resizes_at_the_overridden_step():
    cfg = Config.fromfile(str(MAIN_CONFIG))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.pipeline[RESIZE].type == 'Resize'


def test_built_corpus_trains_and_evaluates_per_source(tmp_path):
    raw, out = tmp_path / 'raw', tmp_path / 'us43d'
    for make in (brachial_plexus, busi, camus, thyroid_bundle):
        make(raw)
    names = ('brachial plexus', 'BUSI', 'CAMUS', 'TN3K')
    Builder(str(raw), str(out), BuildSettings(datasets=names),
            log=lambda line: None, progress=False).run()
    test_sources = {img['source'] for img in json.loads(
        (out / 'annotations' / 'test.json').read_text())['images']}
    assert len(test_sources) >= 3

    config = tmp_path / 'ultrasam_tiny_us43d.py'
    config.write_text(f'_base_ = {str(MAIN_CONFIG)!r}\n' + TINY_MODEL)
    loaders = [
        f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                        'test_dataloader')
        for key in (f'dataset.data_root={out}/', 'num_workers=0',
                    'persistent_workers=False',
                    f'dataset.pipeline.{RESIZE}.scale=({SIZE},{SIZE})')
    ]
    work_dir = tmp_path / 'work'
    _run(['tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
          *loaders, 'train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
          'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=2',
          'default_hooks.logger.interval=1'])
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()

    test_dir = tmp_path / 'test'
    _run(['tools/test.py', config, checkpoint, '--work-dir', test_dir,
          '--cfg-options', *loaders])
    [run_dir] = [p for p in test_dir.iterdir() if p.is_dir()]
    metrics = json.loads((run_dir / f'{run_dir.name}.json').read_text())
    for source in test_sources:
        assert f'prompt_seg/dice_src_{source}' in metrics, sorted(metrics)
