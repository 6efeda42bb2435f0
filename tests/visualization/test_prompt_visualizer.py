"""PromptVisualizer writes PNGs with prompts, ground truth and predictions."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import ultrasam  # noqa: F401
from mmdet.registry import TRANSFORMS, VISUALIZERS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmdet.visualization import DetLocalVisualizer
from ultrasam.visualization import PromptVisualizer
from ultrasam.visualization.prompt_visualizer import _points_to_original

POSITIVE = (0, 255, 0)


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def run_test_pipeline(results, flip, points):
    """Keep the original masks, flip (or not), resize to 120 px, prompt with
    ``PointsFromMasks(**points)`` and exact boxes, and pack."""
    pipeline = [
        dict(type='KeepOriginalMasks'),
        dict(type='RandomFlip', prob=1.0 if flip else 0.0),
        dict(type='Resize', scale=(120, 120), keep_ratio=True),
        dict(type='PointsFromMasks', **points),
        dict(type='BoxesFromMasks', jitter_ratio=0),
        dict(type='PackPromptInputs'),
    ]
    for cfg in pipeline:
        results = TRANSFORMS.build(cfg)(results)
    return results


def packed_sample(flip):
    """A 40x60 image with two objects, flipped, resized x2 and prompted."""
    masks = np.zeros((2, 40, 60), np.uint8)
    masks[0, 5:20, 5:25] = 1
    masks[1, 25:35, 40:55] = 1
    results = dict(
        img=np.full((40, 60, 3), 90, np.uint8),
        img_shape=(40, 60),
        ori_shape=(40, 60),
        img_path='scan.dcm',
        img_id=3,
        frame=4,
        gt_masks=BitmapMasks(masks, 40, 60),
        gt_bboxes=HorizontalBoxes(np.zeros((2, 4), np.float32)),
        gt_bboxes_labels=np.zeros(2, np.int64),
        gt_ignore_flags=np.zeros(2, bool),
        gt_prompt_types=np.array([0, 2]))
    results = run_test_pipeline(
        results, flip=flip, points=dict(sampling='interior', num_neg_points=1))
    sample = results['data_samples']
    sample.pred_instances = InstanceData(
        masks=torch.as_tensor(masks.astype(bool)),
        scores=torch.tensor([0.9, 0.8]),
        labels=torch.zeros(2, dtype=torch.long),
        bboxes=torch.zeros(2, 4))
    return results['inputs'], sample, masks


def test_is_a_det_local_visualizer_built_from_registry():
    visualizer = VISUALIZERS.build(
        dict(type='PromptVisualizer', name='registry_vis'))
    assert isinstance(visualizer, DetLocalVisualizer)


@pytest.mark.parametrize('flip', [False, True])
def test_prompts_map_back_to_the_original_frame(flip):
    _, sample, masks = packed_sample(flip)
    gt = sample.gt_instances
    points = _points_to_original(gt.point_coords.numpy().astype(float), sample)
    for mask, instance_points, labels in zip(masks, points,
                                             gt.point_labels.numpy()):
        for (x, y), label in zip(instance_points, labels):
            assert mask[int(round(y)), int(round(x))] == label
    corners = _points_to_original(gt.prompt_boxes.numpy().reshape(2, 2, 2),
                                  sample)
    box = np.concatenate([corners.min(1), corners.max(1)], axis=1)[1]
    np.testing.assert_allclose(box, [40, 25, 54, 34], atol=0.51)


def test_writes_gt_and_prediction_panels_as_png(tmp_path):
    _, sample, _ = packed_sample(flip=True)
    visualizer = PromptVisualizer.get_instance('test_pred_vis')
    image = np.full((40, 60, 3), 90, np.uint8)
    # The hook names the output after the image file: scan.dcm
    visualizer.add_datasample(
        'scan', image, sample, out_file=str(tmp_path / 'scan.dcm'))
    written = cv2.imread(str(tmp_path / 'scan_frame4.png'))
    assert written.shape == (40, 120, 3)
    assert not (written == 90).all()
    drawn = visualizer.get_image()
    # Left (GT) and right (prediction) panels both show the second mask.
    assert (drawn[32, 43] != 90).any() and (drawn[32, 60 + 43] != 90).any()
    assert (drawn[38, 2] == 90).all() and (drawn[38, 62] == 90).all()
    # A positive point is drawn in green on the first object.
    assert (np.abs(drawn[5:20, 5:25].astype(int) - POSITIVE).sum(-1)
            < 60).any()


def test_network_input_frame_for_browsing(tmp_path):
    inputs, sample, _ = packed_sample(flip=False)
    del sample.pred_instances
    image = inputs.permute(1, 2, 0).numpy()[..., ::-1]
    visualizer = PromptVisualizer.get_instance('test_browse_vis')
    visualizer.add_datasample(
        'scan',
        image,
        sample,
        draw_pred=False,
        out_file=str(tmp_path / 'x.png'))
    written = cv2.imread(str(tmp_path / 'x_frame4.png'))
    assert written.shape == (80, 120, 3)


def test_score_threshold_and_wrong_frame(tmp_path):
    _, sample, _ = packed_sample(flip=False)
    visualizer = PromptVisualizer.get_instance('test_thr_vis')
    image = np.full((40, 60, 3), 90, np.uint8)
    visualizer.add_datasample(
        'scan', image, sample, draw_gt=False, pred_score_thr=0.95)
    assert (visualizer.get_image() == 90).all()  # nothing above 0.95
    with pytest.raises(ValueError, match='neither the original'):
        visualizer.add_datasample('scan', np.zeros((10, 10, 3), np.uint8),
                                  sample)


def empty_sample():
    """A packed 40x60 sample without instances, resized x2, empty prediction."""
    results = dict(
        img=np.full((40, 60, 3), 90, np.uint8),
        img_shape=(40, 60),
        ori_shape=(40, 60),
        img_path='empty.png',
        img_id=7,
        gt_masks=BitmapMasks(np.zeros((0, 40, 60), np.uint8), 40, 60),
        gt_bboxes=HorizontalBoxes(np.zeros((0, 4), np.float32)),
        gt_bboxes_labels=np.zeros(0, np.int64),
        gt_ignore_flags=np.zeros(0, bool))
    results = run_test_pipeline(results, flip=False,
                                points=dict(sampling='interior'))
    sample = results['data_samples']
    sample.pred_instances = InstanceData(
        masks=torch.zeros(0, 40, 60, dtype=torch.bool),
        scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long),
        bboxes=torch.zeros(0, 4))
    return results['inputs'], sample


def test_sample_without_instances_draws_the_bare_image(tmp_path):
    inputs, sample = empty_sample()
    assert len(sample.gt_instances) == 0
    visualizer = PromptVisualizer.get_instance('test_empty_vis')
    # As tools/test.py --show-dir: original image, GT and prediction panels.
    visualizer.add_datasample(
        'empty',
        np.full((40, 60, 3), 90, np.uint8),
        sample,
        out_file=str(tmp_path / 'empty.png'))
    written = cv2.imread(str(tmp_path / 'empty.png'))
    assert written.shape == (40, 120, 3)
    assert (written == 90).all()
    # As browse_dataset.py: network-input image, no prediction.
    del sample.pred_instances
    image = np.ascontiguousarray(inputs.permute(1, 2, 0).numpy()[..., ::-1])
    visualizer.add_datasample(
        'empty', image, sample, out_file=str(tmp_path / 'browse.png'))
    written = cv2.imread(str(tmp_path / 'browse.png'))
    assert written.shape == (80, 120, 3)
    np.testing.assert_array_equal(written, image[..., ::-1])
