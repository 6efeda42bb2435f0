"""Both phantom segmentation configs through the real tools: tools/train.py
generates the phantom set, trains a few iterations, validates and keeps the
best checkpoint; tools/test.py scores it (COCO mAP, per-class Dice / IoU) and
draws overlays."""
import csv
import re
from pathlib import Path
from typing import List

import pytest

from ultrasam.utils import read_state_dict

SEG = Path(__file__).parents[2] / 'configs' / 'downstream' / 'segmentation'
# Small phantoms (the pipelines resize them to the model's 256 px).
GENERATOR = dict(num_train=8, num_test=3, seed=2, image_size=96)


def options(root: Path) -> List[str]:
    """``--cfg-options`` for the small set and CPU-light loaders."""
    values = ['train_cfg.val_interval=2', 'default_hooks.logger.interval=1',
              'train_dataloader.batch_size=2']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        values += [f'{loader}.dataset.data_root={root}/',
                   f'{loader}.dataset.val_images=3', f'{loader}.num_workers=0',
                   f'{loader}.persistent_workers=False']
        values += [f'{loader}.dataset.generator.{key}={value}'
                   for key, value in GENERATOR.items()]
    return values


@pytest.mark.parametrize('head, state_key', [
    ('mask2former', 'panoptic_head.query_embed.weight'),
    ('mask-rcnn', 'roi_head.mask_head.conv_logits.weight'),
])
def test_train_then_test_on_phantoms(head, state_key, tmp_path, load_script):
    train = load_script('tools/train.py').main
    test = load_script('tools/test.py').main
    config = SEG / f'vitsam-t_{head}_scratch_phantom.py'
    root, work = tmp_path / 'phantom', tmp_path / 'train'
    train([str(config), '--work-dir', str(work), '--cfg-options',
           'train_cfg.max_iters=2', *options(root)])
    assert (root / 'annotations' / 'train.json').is_file()
    train_log = next(work.glob('*/*.log')).read_text()
    # The 3 held-out training phantoms validate, never the test ones.
    assert 'Iter(val) [3/3]' in train_log
    best = next(work.glob('best_coco_segm_mAP_iter_2.pth'))
    state = read_state_dict(best)
    assert state_key in state and 'backbone.layers.1.attn.qkv.weight' in state
    # Three classes (hypo-, an-, hyperechoic) in the head.
    classes = 4 if head == 'mask2former' else 3
    assert state['panoptic_head.cls_embed.weight' if head == 'mask2former'
                 else 'roi_head.mask_head.conv_logits.weight'].shape[0] == \
        classes

    test_dir = tmp_path / 'test'
    test([str(config), str(best), '--work-dir', str(test_dir), '--show-dir',
          'overlays', '--cfg-options', *options(root)])
    log = next(test_dir.glob('*/*.log')).read_text()
    assert 'Iter(test) [3/3]' in log
    metrics_line = next(line for line in reversed(log.splitlines())
                        if 'Iter(test) [3/3]' in line)
    metrics = dict(re.findall(r'(\S+): (-?\d+\.\d+)', metrics_line))
    for key in ('coco/segm_mAP', 'coco/bbox_mAP', 'seg/mDice', 'seg/mIoU',
                'seg/dice_hypoechoic', 'seg/iou_anechoic',
                'seg/dice_hyperechoic'):
        assert key in metrics, key
    assert 'Per-class Dice / IoU' in log
    assert len(list(test_dir.glob('*/overlays/*.png'))) == 3
    # One results.csv line with the log's figures, named by the hook.
    with open(test_dir / 'results.csv', newline='') as file:
        (row, ) = csv.DictReader(file)
    assert (row['dataset'], row['init'], row['images']) == (
        'phantom', 'scratch', '3')
    assert row['model'] == ('Mask2Former'
                            if head == 'mask2former' else 'MaskRCNN')
    assert float(row['mDice']) == pytest.approx(
        float(metrics['seg/mDice']), abs=0.006)
    assert float(row['segm_mAP']) == float(metrics['coco/segm_mAP'])
    assert row['per_class_dice'].startswith('hypoechoic=')
