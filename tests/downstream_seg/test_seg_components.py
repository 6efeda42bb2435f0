"""Components of the downstream segmentation configs: the phantom lesion-class
dataset, the per-class Dice / IoU metric and the layer-wise lr decay
constructor."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from ultrasam.datasets import CocoFormatError, PhantomSegDataset
from ultrasam.datasets.synthetic import PHANTOM_CLASSES, write_phantom_coco
from ultrasam.evaluation import ClassDiceIoUMetric

PIPELINE = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs'),
]
GENERATOR = dict(num_train=6, num_test=3, seed=2, image_size=64)


def _tree(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def test_phantom_lesions_get_their_echogenicity(tmp_path):
    with DefaultScope.overwrite_default_scope('mmdet'):
        splits = {
            split: PhantomSegDataset(
                data_root=str(tmp_path / 'set'), generator=GENERATOR,
                split=split, val_images=2, data_prefix=dict(img='images/'),
                pipeline=PIPELINE, test_mode=split != 'train')
            for split in ('train', 'val', 'test')
        }
    assert [len(splits[s]) for s in ('train', 'val', 'test')] == [4, 2, 3]
    assert splits['val'].get_data_info(0)['img_path'].endswith(
        'images/train/000005.png')
    assert splits['test'].metainfo['classes'] == PHANTOM_CLASSES
    # The set is byte for byte the generator's: labelling writes nothing.
    write_phantom_coco(tmp_path / 'reference', **GENERATOR)
    assert _tree(tmp_path / 'set') == _tree(tmp_path / 'reference')
    coco = json.loads((tmp_path / 'set/annotations/train.json').read_text())
    expected = [[PHANTOM_CLASSES.index(a['lesion_type'])
                 for a in coco['annotations'] if a['image_id'] == image['id']]
                for image in coco['images']]
    got = [splits[s].get_data_info(i)['instances'] for s in ('train', 'val')
           for i in range(len(splits[s]))]
    assert [[inst['bbox_label'] for inst in insts] for insts in got] == \
        expected
    assert len({label for labels in expected for label in labels}) > 1
    sample = splits['val'][0]['data_samples']
    assert sample.gt_instances.labels.tolist() == expected[4]
    assert sample.gt_instances.masks.masks.shape[1:] == (64, 64)


@pytest.mark.parametrize('kwargs, message', [
    (dict(split='dev'), 'split must be one of'),
    (dict(split='val'), "split='val' needs val_images > 0"),
    (dict(split='train', val_images=6), 'val_images=6 leaves no training'),
    (dict(split='train', val_images=-1), 'non-negative integer'),
    (dict(split='train', ann_file='x.json'), 'ann_file follows from split'),
    (dict(split='test', metainfo=dict(classes=('a', 'b'))),
     'the classes are the lesion types'),
])
def test_phantom_dataset_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        PhantomSegDataset(data_root=str(tmp_path / 'set'), generator=GENERATOR,
                          **kwargs)
    assert not (tmp_path / 'set').exists()


def test_unknown_lesion_type_names_file_and_annotation(tmp_path):
    root = tmp_path / 'set'
    PhantomSegDataset(data_root=str(root), generator=GENERATOR, split='test')
    path = root / 'annotations' / 'test.json'
    coco = json.loads(path.read_text())
    coco['annotations'][0]['lesion_type'] = 'isoechoic'
    path.write_text(json.dumps(coco))
    with pytest.raises(CocoFormatError,
                       match=r"test.json: annotation 1 has lesion_type "
                       r"'isoechoic', expected one of \('hypoechoic'"):
        PhantomSegDataset(data_root=str(root), generator=GENERATOR,
                          split='test')


def _sample(gt, pred, scores, labels, gt_labels):
    sample = DetDataSample(metainfo=dict(ori_shape=(4, 4), img_path='x.png'))
    sample.gt_instances = InstanceData(
        masks=BitmapMasks(np.array(gt, bool).reshape(-1, 4, 4), 4, 4),
        labels=torch.tensor(gt_labels))
    sample.pred_instances = InstanceData(
        masks=torch.tensor(np.array(pred, bool).reshape(-1, 4, 4)),
        scores=torch.tensor(scores), labels=torch.tensor(labels))
    return sample.to_dict()


def test_class_dice_iou_from_summed_areas():
    metric = ClassDiceIoUMetric(score_thr=0.5)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    square = np.zeros((4, 4), bool)
    square[:2, :2] = True  # 4 pixels
    row = np.zeros((4, 4), bool)
    row[3] = True  # 4 pixels
    half = np.zeros((4, 4), bool)
    half[:2, :1] = True  # 2 pixels inside the square
    # Image 1: class a found in half (2 of 4 pixels), class b missed; a
    # low-score prediction of c is not drawn.
    metric.process({}, [_sample([square, row], [half, row], [0.9, 0.2],
                                [0, 2], [0, 1])])
    # Image 2: a row predicted as b over a GT a row: wrong class; the
    # higher-scoring overlapping prediction wins.
    metric.process({}, [_sample([row], [row, row], [0.6, 0.8], [0, 1],
                                [0])])
    results = metric.compute_metrics(metric.results)
    # a: |P & G| = 2, |P| = 2 + 0, |G| = 4 + 4 -> Dice 4 / 10, IoU 2 / 8.
    assert results['dice_a'] == 40.0 and results['iou_a'] == 25.0
    # b: |P & G| = 0, |P| = 4, |G| = 4.
    assert results['dice_b'] == 0.0 and results['iou_b'] == 0.0
    assert np.isnan(results['dice_c'])
    assert results['mDice'] == 20.0 and results['mIoU'] == 12.5


def test_class_dice_iou_refusals():
    with pytest.raises(ValueError, match='score_thr must be a number'):
        ClassDiceIoUMetric(score_thr=2)
    metric = ClassDiceIoUMetric()
    metric.dataset_meta = dict(classes=('a', ))
    with pytest.raises(ValueError, match='label 1 is not one of the 1'):
        metric.process({}, [_sample([np.ones((4, 4))], [np.ones((4, 4))],
                                    [0.9], [1], [0])])


def _optimizer(model, **paramwise):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return build_optim_wrapper(model, dict(
            type='OptimWrapper', optimizer=dict(type='AdamW', lr=1.0,
                                                weight_decay=0.1),
            constructor='ViTLayerDecayOptimWrapperConstructor',
            paramwise_cfg=paramwise)).optimizer


def test_layer_decay_on_top_of_the_backbone_multiplier():
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(ConfigDict(
            type='Mask2Former',
            backbone=dict(
                type='FastViTSAM',
                arch=dict(embed_dims=32, num_layers=3, num_heads=2,
                          feedforward_channels=64, global_attn_indexes=[2]),
                img_size=64, window_size=4, out_channels=0,
                out_type='featmap'),
            neck=dict(type='SimpleFPN', in_channels=32, out_channels=32),
            panoptic_head=dict(
                type='Mask2FormerHead', in_channels=[32] * 4,
                strides=[4, 8, 16, 32], feat_channels=32, out_channels=32,
                num_things_classes=2, num_stuff_classes=0, num_queries=4,
                pixel_decoder=dict(
                    type='MSDeformAttnPixelDecoder', num_outs=3,
                    norm_cfg=dict(type='GN', num_groups=8),
                    encoder=dict(num_layers=1, layer_cfg=dict(
                        self_attn_cfg=dict(embed_dims=32, num_heads=2,
                                           num_levels=3, batch_first=True),
                        ffn_cfg=dict(embed_dims=32,
                                     feedforward_channels=64))),
                    positional_encoding=dict(num_feats=16, normalize=True)),
                positional_encoding=dict(num_feats=16, normalize=True),
                transformer_decoder=dict(
                    num_layers=1, return_intermediate=True,
                    layer_cfg=dict(
                        self_attn_cfg=dict(embed_dims=32, num_heads=2,
                                           batch_first=True),
                        cross_attn_cfg=dict(embed_dims=32, num_heads=2,
                                            batch_first=True),
                        ffn_cfg=dict(embed_dims=32,
                                     feedforward_channels=64))),
                loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False,
                              class_weight=[1.0, 1.0, 0.1])),
            panoptic_fusion_head=dict(
                type='MaskFormerFusionHead', num_things_classes=2,
                num_stuff_classes=0)))
        optimizer = _optimizer(
            model, layer_decay_rate=0.5, norm_decay_mult=0.0,
            custom_keys=dict(backbone=dict(lr_mult=0.1),
                             query_embed=dict(decay_mult=0.0)))
    lr = {id(group['params'][0]): group['lr']
          for group in optimizer.param_groups}
    decay = {id(group['params'][0]): group['weight_decay']
             for group in optimizer.param_groups}
    named = dict(model.named_parameters())
    # 3 blocks: depth 0 = embeddings, 1..3 = blocks, 4 = the rest.
    assert lr[id(named['backbone.pos_embed'])] == pytest.approx(0.1 * 0.5**4)
    assert lr[id(named['backbone.patch_embed.projection.weight'])] == \
        pytest.approx(0.1 * 0.5**4)
    for block in range(3):
        assert lr[id(named[f'backbone.layers.{block}.attn.qkv.weight'])] == \
            pytest.approx(0.1 * 0.5**(3 - block))
    assert lr[id(named['neck.projections.0.0.weight'])] == 1.0
    assert lr[id(named['panoptic_head.query_embed.weight'])] == 1.0
    assert decay[id(named['panoptic_head.query_embed.weight'])] == 0.0
    assert decay[id(named['neck.projections.0.1.weight'])] == 0.0
    assert decay[id(named['neck.projections.0.0.weight'])] == 0.1


def test_layer_decay_refusals():
    with pytest.raises(ValueError, match='layer_decay_rate must be a number'):
        _optimizer(torch.nn.Linear(2, 2), layer_decay_rate=1.5)
    with DefaultScope.overwrite_default_scope('mmdet'):
        resnet = torch.nn.Module()
        resnet.backbone = MODELS.build(dict(type='ResNet', depth=18))
        with pytest.raises(TypeError, match=r'\(ResNet\) has no '
                           r'get_layer_depth'):
            _optimizer(resnet, layer_decay_rate=0.9)
