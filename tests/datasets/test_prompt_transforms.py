"""Prompt sampling transforms: determinism, geometry, empty and degenerate cases."""
import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from scipy.ndimage import distance_transform_edt

from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from ultrasam.datasets.transforms import interior_points
from ultrasam.structures import PromptType


def results_with(masks, ignore=None, ori=False):
    masks = np.asarray(masks, np.uint8).reshape(-1, *np.shape(masks)[-2:])
    num, height, width = masks.shape
    results = dict(
        img=np.zeros((height, width, 3), np.uint8),
        img_shape=(height, width),
        ori_shape=(height, width),
        img_path='toy.png',
        img_id=0,
        gt_masks=BitmapMasks(masks, height, width),
        gt_bboxes=HorizontalBoxes(np.tile([0., 0., 1., 1.], (num, 1))),
        gt_bboxes_labels=np.arange(num, dtype=np.int64),
        gt_ignore_flags=np.zeros(num, bool) if ignore is None else np.asarray(
            ignore, bool))
    if ori:
        results['ori_gt_masks'] = BitmapMasks(masks.copy(), height, width)
    return results


def c_shape(height=40, width=40):
    """A 'C' whose centroid lies in the hole."""
    mask = np.zeros((height, width), np.uint8)
    mask[5:35, 5:35] = 1
    mask[12:28, 12:35] = 0
    return mask


def blobs(num=3, size=32):
    masks = np.zeros((num, size, size), np.uint8)
    for i in range(num):
        masks[i, 2 + 3 * i:12 + 4 * i, 4 + 2 * i:20 + 2 * i] = 1
    return masks


def build(cfg):
    return TRANSFORMS.build(cfg)


def inside(masks, coords, labels, value=1):
    for mask, points, point_labels in zip(masks, coords, labels):
        for (x, y), label in zip(points, point_labels):
            if label == value:
                assert mask[int(y), int(x)] == 1


# --------------------------------------------------------------- PointsFromMasks
def test_random_points_are_inside_and_seeded():
    masks = blobs()
    sample = build(dict(type='PointsFromMasks', num_points=(1, 4)))
    np.random.seed(3)
    first = sample(results_with(masks))
    np.random.seed(3)
    again = sample(results_with(masks))
    np.random.seed(4)
    other = sample(results_with(masks))
    for key in ('gt_point_coords', 'gt_point_labels'):
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first['gt_point_coords'],
                              other['gt_point_coords'])
    coords, labels = first['gt_point_coords'], first['gt_point_labels']
    assert coords.dtype == np.float32 and labels.dtype == np.int64
    assert coords.shape == (3, labels.shape[1], 2)
    counts = (labels == 1).sum(axis=1)
    assert ((1 <= counts) & (counts <= 4)).all()
    assert labels.shape[1] == counts.max()
    inside(masks, coords, labels)
    for points, count in zip(coords, counts):  # distinct pixels
        assert len({tuple(p) for p in points[:count]}) == count


def test_more_points_than_pixels_gives_all_pixels_then_padding():
    mask = np.zeros((8, 8), np.uint8)
    mask[2, 3] = mask[5, 6] = 1
    out = build(dict(type='PointsFromMasks', num_points=5))(
        results_with(mask[None]))
    labels = out['gt_point_labels'][0]
    np.testing.assert_array_equal(labels, [1, 1])  # K = points available
    assert {tuple(p)
            for p in out['gt_point_coords'][0][:2]} == {(3, 2), (6, 5)}


def test_interior_point_is_farthest_from_boundary_not_centroid():
    mask = c_shape()
    ys, xs = np.nonzero(mask)
    assert mask[int(round(ys.mean())), int(round(xs.mean()))] == 0
    out = build(dict(type='PointsFromMasks', sampling='interior'))(
        results_with(mask[None]))
    (x, y), = out['gt_point_coords'][0].astype(int)
    assert mask[y, x] == 1
    # A maximum of the exact Euclidean distance to the background.
    depth = distance_transform_edt(mask)
    assert depth[y, x] == depth.max()
    # Deterministic without any seed.
    np.random.seed(1)
    again = build(dict(type='PointsFromMasks', sampling='interior'))(
        results_with(mask[None]))
    np.testing.assert_array_equal(out['gt_point_coords'],
                                  again['gt_point_coords'])


def test_interior_point_of_rectangle_and_image_border():
    mask = np.zeros((20, 30), np.uint8)
    mask[3:14, 5:26] = 1  # 11 x 21, centre (15, 8)
    np.testing.assert_array_equal(interior_points(mask, 1), [[15, 8]])
    border = np.zeros((10, 10), np.uint8)
    border[:, :5] = 1  # touches the image border: it counts as boundary
    np.testing.assert_array_equal(interior_points(border, 1)[0, 0], 2)
    assert interior_points(np.zeros((4, 4), np.uint8), 1).shape == (0, 2)


def test_several_interior_points_are_distinct_and_spread():
    mask = np.zeros((20, 60), np.uint8)
    mask[5:15, 2:58] = 1
    points = interior_points(mask, 3)
    assert len({tuple(p) for p in points}) == 3
    assert all(mask[y, x] for x, y in points)
    assert np.ptp(points[:, 0]) > 30  # spread along the long axis
    single = np.zeros((5, 5), np.uint8)
    single[2, 2] = 1
    np.testing.assert_array_equal(interior_points(single, 4), [[2, 2]])


@pytest.mark.parametrize('sampling', ['random', 'interior'])
def test_negative_points_are_background_near_the_object(sampling):
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 20:40] = 1
    np.random.seed(0)
    out = build(
        dict(
            type='PointsFromMasks',
            num_points=2,
            num_neg_points=3,
            sampling=sampling,
            neg_margin=0.25))(
                results_with(mask[None]))
    labels, coords = out['gt_point_labels'][0], out['gt_point_coords'][0]
    np.testing.assert_array_equal(labels, [1, 1, 0, 0, 0])
    for x, y in coords[2:]:
        assert mask[int(y), int(x)] == 0
        assert 15 <= x <= 44 and 15 <= y <= 44  # within 5 px (25 % of 20)


def test_negative_points_when_object_fills_the_image():
    mask = np.ones((1, 6, 6), np.uint8)
    out = build(dict(type='PointsFromMasks', num_neg_points=2))(
        results_with(mask))
    np.testing.assert_array_equal(out['gt_point_labels'], [[1]])


def test_points_only_for_point_prompt_types():
    results = results_with(blobs())
    results['gt_prompt_types'] = np.array(
        [PromptType.BOX, PromptType.POINT, PromptType.POINT_AND_BOX])
    out = build(dict(type='PointsFromMasks'))(results)
    np.testing.assert_array_equal(out['gt_point_labels'], [[-1], [1], [1]])


def test_empty_masks_are_dropped_with_every_instance_key():
    masks = blobs(4)
    masks[1] = 0
    masks[3] = 0
    results = results_with(masks, ignore=[0, 0, 1, 0], ori=True)
    results['gt_prompt_types'] = np.array([0, 1, 2, 0])
    out = build(dict(type='PointsFromMasks'))(results)
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [0, 2])
    np.testing.assert_array_equal(out['gt_ignore_flags'], [False, True])
    np.testing.assert_array_equal(out['gt_prompt_types'], [0, 2])
    assert len(out['gt_masks']) == len(out['ori_gt_masks']) == 2
    assert len(out['gt_bboxes']) == 2 and len(out['gt_point_coords']) == 2


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.parametrize('evaluating', [False, True])
def test_vanished_test_instances_are_reported_as_warnings(evaluating):
    # With the original masks kept (test time) a dropped instance is missing
    # from the scores: a warning, not a debug line.
    masks = blobs(2)
    masks[0] = 0
    logger = MMLogger.get_current_instance()
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        build(dict(type='PointsFromMasks'))(results_with(masks,
                                                         ori=evaluating))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    [record] = [r for r in handler.records if 'dropped 1' in r.getMessage()]
    assert record.levelno == (logging.WARNING if evaluating else logging.DEBUG)
    assert ('not evaluated' in record.getMessage()) == evaluating


def test_no_instances():
    out = build(dict(type='PointsFromMasks', num_points=3))(
        results_with(np.zeros((0, 8, 8))))
    assert out['gt_point_coords'].shape == (0, 1, 2)
    assert out['gt_point_labels'].shape == (0, 1)
    out = build(dict(type='BoxesFromMasks'))(results_with(np.zeros((0, 8, 8))))
    assert out['gt_prompt_boxes'].shape == (0, 4)


def test_points_argument_validation():
    for bad in (dict(num_points=0), dict(num_points=(3, 1)),
                dict(num_neg_points=-1), dict(sampling='center'),
                dict(neg_margin=0)):
        with pytest.raises(ValueError):
            build(dict(type='PointsFromMasks', **bad))


# ---------------------------------------------------------------- BoxesFromMasks
def test_boxes_without_jitter_are_tight():
    masks = blobs()
    masks[0, 30, 0] = 1  # a stray pixel far from the blob widens the box
    out = build(dict(type='BoxesFromMasks', jitter_ratio=0.))(
        results_with(masks))
    boxes = out['gt_prompt_boxes']
    assert boxes.dtype == np.float32
    for mask, (x1, y1, x2, y2) in zip(masks, boxes.astype(int)):
        ys, xs = np.nonzero(mask)
        assert (x1, y1, x2, y2) == (xs.min(), ys.min(), xs.max(), ys.max())
    assert tuple(boxes[0]) == (0, 2, 19, 30)


def test_box_jitter_is_bounded_seeded_and_clipped():
    mask = np.zeros((1, 300, 300), np.uint8)
    mask[0, 0:250, 100:140] = 1  # 40 wide, 250 high: cap 20 px applies on y
    tight = np.array([100, 0, 139, 249], np.float32)
    boxes = []
    for seed in range(30):
        np.random.seed(seed)
        boxes.append(
            build(dict(type='BoxesFromMasks'))(
                results_with(mask))['gt_prompt_boxes'][0])
    boxes = np.array(boxes)
    delta = np.abs(boxes - tight)
    assert (delta[:, [0, 2]] <= 4 * 0.1 * 40 + 1e-4).all()  # few sigmas
    assert (delta[:, [1, 3]] <= 20 + 1e-4).all() and delta[:, 3].max() > 10
    assert (boxes >= 0).all() and (boxes <= 299).all()
    assert (boxes[:, 2] >= boxes[:, 0]).all() and (boxes[:, 3]
                                                   >= boxes[:, 1]).all()
    assert len({tuple(b) for b in boxes}) == 30
    np.random.seed(7)
    again = build(dict(type='BoxesFromMasks'))(
        results_with(mask))['gt_prompt_boxes'][0]
    np.testing.assert_array_equal(again, boxes[7])


def test_one_pixel_mask_box():
    mask = np.zeros((1, 5, 5), np.uint8)
    mask[0, 4, 4] = 1
    np.random.seed(0)
    box = build(dict(type='BoxesFromMasks'))(
        results_with(mask))['gt_prompt_boxes'][0]
    assert (box >= 0).all() and (box <= 4).all()
    assert box[0] <= box[2] and box[1] <= box[3]


# -------------------------------------------------------------- RandomPromptType
def test_random_prompt_type_mix_and_seed():
    masks = np.ones((400, 2, 2), np.uint8)
    mix = build(dict(type='RandomPromptType', prob=dict(point=0.5, box=0.5)))
    np.random.seed(0)
    types = mix(results_with(masks))['gt_prompt_types']
    np.random.seed(0)
    np.testing.assert_array_equal(types,
                                  mix(results_with(masks))['gt_prompt_types'])
    assert types.dtype == np.int64
    assert set(types) == {PromptType.POINT, PromptType.BOX}
    assert 150 < (types == PromptType.POINT).sum() < 250
    boxes = build(dict(type='RandomPromptType', prob=dict(box=1.0)))(
        results_with(masks))['gt_prompt_types']
    assert (boxes == PromptType.BOX).all()
    both = build(dict(type='RandomPromptType',
                      prob=dict(point_and_box=1)))(results_with(
                          np.zeros((0, 2, 2))))['gt_prompt_types']
    assert both.shape == (0, )


def test_random_prompt_type_validation():
    with pytest.raises(ValueError, match='unknown prompt type'):
        build(dict(type='RandomPromptType', prob=dict(mask=1.0)))
    with pytest.raises(ValueError, match='summing to 1'):
        build(dict(type='RandomPromptType', prob=dict(point=0.5, box=0.6)))


# -------------------------------------------------------------- PackPromptInputs
def test_pack_mixed_prompts_and_ignored_instances():
    results = results_with(blobs(4), ignore=[0, 0, 0, 1], ori=True)
    results['gt_prompt_types'] = np.array([0, 1, 2, 0])
    np.random.seed(0)
    for cfg in (dict(type='PointsFromMasks', num_points=(1, 3)),
                dict(type='BoxesFromMasks'), dict(type='PackPromptInputs')):
        results = build(cfg)(results)
    inputs, sample = results['inputs'], results['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 32, 32)
    gt, ignored = sample.gt_instances, sample.ignored_instances
    assert len(gt) == 3 and len(ignored) == 1
    assert gt.point_coords.dtype == torch.float32
    assert gt.point_labels.dtype == gt.prompt_types.dtype == torch.int64
    assert gt.prompt_boxes.shape == (3, 4)
    np.testing.assert_array_equal(gt.prompt_types, [0, 1, 2])
    assert (gt.point_labels[1] == -1).all()  # box-only instance
    assert (gt.point_labels[0] != -1).any() and (gt.point_labels[2] == 1).any()
    assert gt.ori_masks.masks.shape == (3, 32, 32)
    assert ignored.ori_masks.masks.shape == (1, 32, 32)
    assert sample.img_path == 'toy.png'


@pytest.mark.parametrize('transforms, expected', [
    ([dict(type='PointsFromMasks')], PromptType.POINT),
    ([dict(type='BoxesFromMasks', jitter_ratio=0)], PromptType.BOX),
    ([dict(type='PointsFromMasks'),
      dict(type='BoxesFromMasks')], PromptType.POINT_AND_BOX),
])
def test_pack_infers_prompt_types(transforms, expected):
    results = results_with(blobs(2))
    for cfg in transforms + [dict(type='PackPromptInputs')]:
        results = build(cfg)(results)
    gt = results['data_samples'].gt_instances
    assert (gt.prompt_types == expected).all()
    assert gt.point_coords.shape[1] >= 1
    # Without BoxesFromMasks the prompt boxes are the tight boxes.
    for mask, box in zip(blobs(2), gt.prompt_boxes.numpy().astype(int)):
        ys, xs = np.nonzero(mask)
        if expected == PromptType.POINT:
            assert tuple(box) == (xs.min(), ys.min(), xs.max(), ys.max())
    if expected == PromptType.BOX:
        assert (gt.point_labels == -1).all()


def test_pack_errors():
    with pytest.raises(KeyError, match='found no prompt'):
        build(dict(type='PackPromptInputs'))(results_with(blobs(1)))
    results = results_with(blobs(1))
    results['gt_prompt_types'] = np.array([PromptType.BOX])
    results = build(dict(type='PointsFromMasks'))(results)
    with pytest.raises(KeyError, match='add BoxesFromMasks after'):
        build(dict(type='PackPromptInputs'))(results)


def test_pack_empty_image():
    results = results_with(np.zeros((0, 16, 16)), ori=True)
    for cfg in (dict(type='PointsFromMasks'), dict(type='PackPromptInputs')):
        results = build(cfg)(results)
    gt = results['data_samples'].gt_instances
    assert len(gt) == 0
    assert gt.point_coords.shape == (0, 1, 2) and gt.prompt_boxes.shape == (0,
                                                                            4)
    assert gt.ori_masks.masks.shape == (0, 16, 16)


def test_more_than_100_instances():
    num, size = 150, 120
    masks = np.zeros((num, size, size), np.uint8)
    for i in range(num):
        row, col = divmod(i, 15)
        masks[i, row * 8:row * 8 + 6, col * 8:col * 8 + 6] = 1
    results = results_with(masks)
    np.random.seed(0)
    for cfg in (dict(
            type='RandomPromptType',
            prob=dict(point=0.4, box=0.3, point_and_box=0.3)),
                dict(
                    type='PointsFromMasks',
                    num_points=(1, 3),
                    num_neg_points=1), dict(type='BoxesFromMasks'),
                dict(type='PackPromptInputs')):
        results = build(cfg)(results)
    gt = results['data_samples'].gt_instances
    assert len(gt) == num
    inside(masks, gt.point_coords.numpy(), gt.point_labels.numpy())
    inside(1 - masks, gt.point_coords.numpy(), gt.point_labels.numpy(), 0)
