"""DiceIoUMetric against hand-computed values."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

import ultrasam  # noqa: F401
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks


def box_mask(y0, y1, x0, x1, shape=(8, 8)):
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def sample(gt, pred, types, labels=None, source=None, img_id=0, resized=False):
    shape = (8, 8)
    meta = dict(
        img_id=img_id,
        img_path=f'{img_id}.png',
        ori_shape=shape,
        img_shape=(16, 16) if resized else shape)
    if source is not None:
        meta['source'] = source
    data_sample = DetDataSample(metainfo=meta)
    gt = np.array(gt, bool).reshape(-1, *shape)
    labels = np.zeros(len(gt), int) if labels is None else np.array(labels)
    instances = InstanceData(
        labels=torch.as_tensor(labels),
        prompt_types=torch.as_tensor(types, dtype=torch.long).reshape(-1))
    if resized:
        instances.masks = BitmapMasks(np.zeros((len(gt), 16, 16)), 16, 16)
    else:
        instances.masks = BitmapMasks(gt.astype(np.uint8), *shape)
        instances.ori_masks = BitmapMasks(gt.astype(np.uint8), *shape)
    data_sample.gt_instances = instances
    pred = np.array(pred, bool).reshape(-1, *shape)
    data_sample.pred_instances = InstanceData(
        masks=torch.as_tensor(pred),
        scores=torch.ones(len(pred)),
        labels=torch.zeros(len(pred), dtype=torch.long),
        bboxes=torch.zeros(len(pred), 4))
    return data_sample


def hand_samples():
    empty = np.zeros((8, 8), bool)
    return [
        # Dice 2*2/(4+4) = 0.5, IoU 2/6; and a perfect match.
        sample(
            [box_mask(0, 2, 0, 2), box_mask(4, 8, 4, 8)],
            [box_mask(0, 2, 1, 3), box_mask(4, 8, 4, 8)], [0, 1],
            labels=[0, 1],
            source='A',
            img_id=1),
        # Empty prediction: 0; Dice 2*3/(3+6) = 2/3, IoU 3/6.
        sample(
            [box_mask(0, 4, 0, 2), box_mask(5, 6, 5, 8)],
            [empty, box_mask(5, 7, 5, 8)], [1, 2],
            labels=[0, 1],
            source='B',
            img_id=2),
        # An image without instances contributes nothing.
        sample(np.zeros((0, 8, 8)), np.zeros((0, 8, 8)), [], img_id=3),
    ]


def evaluate(samples, classes=('object', )):
    evaluator = Evaluator(dict(type='DiceIoUMetric'))
    evaluator.dataset_meta = dict(classes=classes)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_hand_computed_overall_per_prompt_and_source():
    metrics = evaluate(hand_samples())
    expected = {
        'dice': (0.5 + 1 + 0 + 2 / 3) / 4,
        'iou': (1 / 3 + 1 + 0 + 0.5) / 4,
        'dice_point': 0.5,
        'iou_point': 1 / 3,
        'dice_box': 0.5,
        'iou_box': 0.5,
        'dice_point_and_box': 2 / 3,
        'iou_point_and_box': 0.5,
        'dice_src_A': 0.75,
        'iou_src_A': 2 / 3,
        'dice_src_B': 1 / 3,
        'iou_src_B': 0.25,
    }
    # The image without a source has no instance: no 'unknown' source row.
    assert set(metrics) == {f'prompt_seg/{k}' for k in expected}
    for key, value in expected.items():
        assert metrics[f'prompt_seg/{key}'] == pytest.approx(
            round(value * 100, 2))


def test_per_category_split_with_several_classes():
    metrics = evaluate(hand_samples(), classes=('lesion', 'vessel'))
    assert metrics['prompt_seg/dice_cat_lesion'] == pytest.approx(25.0)
    assert metrics['prompt_seg/iou_cat_lesion'] == pytest.approx(16.67)
    assert metrics['prompt_seg/dice_cat_vessel'] == pytest.approx(83.33)
    assert metrics['prompt_seg/iou_cat_vessel'] == pytest.approx(75.0)


def test_no_source_no_split_and_masks_at_original_size():
    data_sample = sample([box_mask(0, 4, 0, 4)], [box_mask(0, 4, 0, 4)], [0])
    del data_sample.gt_instances.ori_masks  # masks were never resized
    metrics = evaluate([data_sample])
    assert metrics == {
        'prompt_seg/dice': 100.0,
        'prompt_seg/iou': 100.0,
        'prompt_seg/dice_point': 100.0,
        'prompt_seg/iou_point': 100.0
    }


def test_only_empty_images():
    metrics = evaluate([sample(np.zeros((0, 8, 8)), np.zeros((0, 8, 8)), [])])
    assert np.isnan(metrics['prompt_seg/dice'])


def test_errors():
    with pytest.raises(ValueError, match='1 predicted masks for 2 prompted'):
        evaluate([
            sample([box_mask(0, 2, 0, 2),
                    box_mask(3, 4, 3, 4)], [box_mask(0, 2, 0, 2)], [0, 0])
        ])
    with pytest.raises(
            ValueError,
            match=r'masks are \(16, 16\) but the '
            r'original image is \(8, 8\); add KeepOriginalMasks'):
        evaluate([
            sample([box_mask(0, 2, 0, 2)], [box_mask(0, 2, 0, 2)], [0],
                   resized=True)
        ])
