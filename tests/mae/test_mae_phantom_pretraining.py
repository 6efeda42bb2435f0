"""CPU proof of MAE pretraining: tools/train.py trains the tiny phantom config
from a fresh data folder, and the reconstruction loss on held-out phantoms
falls well below that of the untrained model and of a mean-filling baseline;
the checkpoint then initialises the tiny UltraSam."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from heldout_loss import heldout_losses, load_visualizer
from mmdet.registry import MODELS
from ultrasam.datasets import read_ultrasound_image
from ultrasam.utils import load_model_weights, read_state_dict

CONFIG = 'configs/mae/mae_vit-tiny-p16_phantom.py'
ULTRASAM_CONFIG = 'configs/ultrasam/ultrasam_vitt_phantom.py'
ITERS = 200
NUM_TRAIN, NUM_TEST, IMAGE_SIZE = 64, 16, 128


@pytest.fixture(scope='module')
def one_thread():
    """Two shared cores: one torch thread avoids oversubscription."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory, load_script, repo_root, one_thread) -> dict:
    """Train the tiny config; return paths of the run."""
    root = tmp_path_factory.mktemp('mae_phantom')
    work_dir = root / 'work_dir'
    phantom = root / 'phantom'
    manifest = root / 'manifest.json'
    train = load_script('tools/train.py')
    train.main([
        str(repo_root / CONFIG),
        '--work-dir', str(work_dir), '--cfg-options',
        f'train_cfg.max_iters={ITERS}', f'param_scheduler.1.end={ITERS}',
        f'default_hooks.checkpoint.interval={ITERS}',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        f'train_dataloader.dataset.ann_file={manifest}',
        f'train_dataloader.dataset.sources.0.phantom={phantom}',
        f'train_dataloader.dataset.sources.0.generator.num_train={NUM_TRAIN}',
        f'train_dataloader.dataset.sources.0.generator.num_test={NUM_TEST}',
        'train_dataloader.dataset.sources.0.generator.image_size='
        f'{IMAGE_SIZE}',
        # MMEngine keeps one Visualizer per name in a process: under the
        # config's name an earlier in-process run's instance (and log
        # folder) would be reused.
        'visualizer.name=mae_phantom_pretraining_test'
    ])
    return dict(work_dir=work_dir, phantom=phantom, manifest=manifest,
                checkpoint=work_dir / f'iter_{ITERS}.pth')


def test_pretraining_lowers_heldout_loss(pretrained, repo_root):
    manifest = json.loads(pretrained['manifest'].read_text())
    used = [image['path'] for image in manifest['images']]
    assert len(used) == NUM_TRAIN
    assert all('/images/train/' in path for path in used)
    test_images = sorted((pretrained['phantom'] / 'images' / 'test').glob(
        '*.png'))
    assert len(test_images) == NUM_TEST
    images = [read_ultrasound_image(str(path)) for path in test_images]

    visualize = load_visualizer()
    torch.manual_seed(0)
    start = heldout_losses(visualize,
                           visualize.build_mae(str(repo_root / CONFIG), None),
                           images)
    end = heldout_losses(
        visualize,
        visualize.build_mae(str(repo_root / CONFIG),
                            str(pretrained['checkpoint'])), images)
    print(f'held-out masked-patch loss: untrained {start["model"]:.3f}, '
          f'after {ITERS} iterations {end["model"]:.3f}, visible-mean '
          f'baseline {end["baseline"]:.3f}')
    assert end['model'] < 0.5 * start['model']
    assert end['model'] < 0.9 * end['baseline']

    scalars = [json.loads(line) for line in next(
        pretrained['work_dir'].glob('*/vis_data/scalars.json')).open()]
    losses = [entry['loss'] for entry in scalars if 'loss' in entry]
    assert losses[-1] < 0.6 * losses[0]


def test_checkpoint_initialises_tiny_ultrasam(pretrained, load_script,
                                              repo_root, tmp_path):
    converter = load_script('tools/model_converters/convert_mae.py')
    output = tmp_path / 'mae_vitsam.pth'
    converter.main([
        str(pretrained['checkpoint']),
        str(output), '--to', 'vit-sam', '--config',
        str(repo_root / ULTRASAM_CONFIG)
    ])
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(
            Config.fromfile(str(repo_root / ULTRASAM_CONFIG)).model)
    mismatch = load_model_weights(model, output, strict=False)
    assert not mismatch.unexpected and not mismatch.shapes
    assert {key.split('.')[0] if not key.startswith('backbone.') else
            '.'.join(key.split('.')[:2])
            for key in mismatch.missing} == {
                'backbone.channel_reduction', 'prompt_encoder',
                'mask_decoder'}
    trained = read_state_dict(pretrained['checkpoint'])
    assert torch.equal(model.backbone.layers[1].attn.qkv.weight,
                       trained['backbone.layers.1.attn.qkv.weight'])
