"""PromptCocoMetric: mmdet's COCO evaluation on one prediction per prompt."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.fileio import load
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks

SHAPE = (48, 64)


def squares(num, size=4, offset=0):
    masks = np.zeros((num, ) + SHAPE, bool)
    for i in range(num):
        row, col = divmod(i, 12)
        y, x = row * 5 + offset, col * 5 + offset
        masks[i, y:y + size, x:x + size] = True
    return masks


def xyxy(masks):
    boxes = []
    for mask in masks:
        ys, xs = np.nonzero(mask)
        boxes.append([xs.min(), ys.min(
        ), xs.max() + 1, ys.max() + 1] if len(ys) else [0, 0, 0, 0])
    return torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)


def sample(img_id, gt, pred, scores=None, ignored=None, flip=False):
    data_sample = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            img_path=f'{img_id}.png',
            ori_shape=SHAPE,
            img_shape=SHAPE,
            flip=flip))
    for key, masks in (('gt_instances', gt), ('ignored_instances', ignored)):
        masks = np.zeros((0, ) + SHAPE, bool) if masks is None else masks
        instances = InstanceData(
            labels=torch.zeros(len(masks), dtype=torch.long),
            masks=BitmapMasks(masks.astype(np.uint8), *SHAPE))
        if not flip:
            instances.ori_masks = BitmapMasks(masks.astype(np.uint8), *SHAPE)
        data_sample.set_field(instances, key)
    data_sample.pred_instances = InstanceData(
        masks=torch.as_tensor(pred),
        bboxes=xyxy(pred),
        scores=torch.ones(len(pred)) if scores is None else torch.tensor(
            scores, dtype=torch.float32),
        labels=torch.zeros(len(pred), dtype=torch.long))
    return data_sample


def evaluate(samples, **kwargs):
    evaluator = Evaluator(dict(type='PromptCocoMetric', **kwargs))
    evaluator.dataset_meta = dict(classes=('object', ))
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_perfect_predictions_over_100_instances_and_string_ids():
    many = squares(120)
    samples = [
        sample('us-1', many, many),
        sample('us-2', squares(2), squares(2), ignored=squares(3)[2:]),
        sample('us-empty', None, np.zeros((0, ) + SHAPE, bool)),
    ]
    metrics = evaluate(samples)
    for metric in ('segm', 'bbox'):
        assert metrics[f'coco/{metric}_mAP'] == 1.0
        assert metrics[f'coco/{metric}_mAP_50'] == 1.0


def test_hand_computed_ap_with_a_missed_instance():
    gt = squares(2)
    # The second prediction misses its object entirely (disjoint square).
    pred = np.stack([gt[0], squares(1, offset=30)[0]])
    metrics = evaluate([sample(1, gt, pred, scores=[0.9, 0.1])], metric='segm')
    # Precision 1 up to recall 0.5, nothing beyond: 51 of COCO's 101 recall
    # points -> 51 / 101.
    assert metrics['coco/segm_mAP'] == pytest.approx(round(51 / 101, 3))
    assert 'coco/bbox_mAP' not in metrics


def test_ground_truth_is_rebuilt_for_each_evaluation():
    evaluator = Evaluator(dict(type='PromptCocoMetric', metric='segm'))
    evaluator.dataset_meta = dict(classes=('object', ))
    evaluator.process([sample(1, squares(2), squares(2))])
    assert evaluator.evaluate(1)['coco/segm_mAP'] == 1.0
    evaluator.process([sample(5, squares(3), squares(3))])
    assert evaluator.evaluate(1)['coco/segm_mAP'] == 1.0


def test_errors():
    with pytest.raises(TypeError, match='ann_file'):
        Evaluator(dict(type='PromptCocoMetric', ann_file='x.json'))
    with pytest.raises(KeyError, match="metric must be 'segm' or 'bbox'"):
        Evaluator(dict(type='PromptCocoMetric', metric='proposal'))
    with pytest.raises(KeyError, match='add KeepOriginalMasks'):
        evaluate([sample(1, squares(1), squares(1), flip=True)])


def test_classwise_report():
    data_sample = sample(1, squares(2), squares(2))
    data_sample.gt_instances.labels = torch.tensor([0, 1])
    data_sample.pred_instances.labels = torch.tensor([0, 1])
    evaluator = Evaluator(
        dict(type='PromptCocoMetric', metric='bbox', classwise=True))
    evaluator.dataset_meta = dict(classes=('lesion', 'vessel'))
    evaluator.process([data_sample])
    metrics = evaluator.evaluate(1)
    assert metrics['coco/bbox_lesion_precision'] == 1.0
    assert metrics['coco/bbox_vessel_precision'] == 1.0


def test_mixed_int_and_string_image_ids(tmp_path):
    # Different objects per image: predictions matched to the wrong image's
    # ground truth would score 0.
    samples = [
        sample(1, squares(2), squares(2)),
        sample('b', squares(1, offset=30), squares(1, offset=30)),
        sample(0, None, np.zeros((0, ) + SHAPE, bool)),
    ]
    prefix = str(tmp_path / 'out')
    metrics = evaluate(samples, outfile_prefix=prefix)
    for metric in ('segm', 'bbox'):
        assert metrics[f'coco/{metric}_mAP'] == 1.0
    written = load(f'{prefix}.gt.json')
    assert [(image['id'], image['dataset_id'])
            for image in written['images']] == [(1, 1), (2, 'b'), (3, 0)]
    assert sorted({pred['image_id']
                   for pred in load(f'{prefix}.segm.json')}) == [1, 2]
