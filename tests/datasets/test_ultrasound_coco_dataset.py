"""UltrasoundCocoDataset on COCO files as found in the wild, and full pipelines.

Malformed files and images (each error naming the file and field) are in the
reliability catalogue, ``tests/reliability/test_datasets.py``.
"""
import logging
import shutil

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pydicom.data import get_testdata_file

from mmdet.registry import DATASETS
from ultrasam.datasets import ultrasound_coco
from ultrasam.structures import PromptType
from us_coco_helpers import square

TRAIN_PIPELINE = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=(32, 32), keep_ratio=True),
    dict(type='RandomPromptType', prob=dict(point=0.5, box=0.5)),
    dict(type='PointsFromMasks', num_points=1),
    dict(type='BoxesFromMasks'),
    dict(type='PackPromptInputs'),
]
TEST_PIPELINE = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='KeepOriginalMasks'),
    dict(type='Resize', scale=(32, 32), keep_ratio=True),
    dict(type='PointsFromMasks', sampling='interior'),
    dict(type='PackPromptInputs'),
]


def rle(mask, compressed=True):
    if not compressed:
        flat = mask.flatten(order='F')
        change = np.flatnonzero(np.diff(np.r_[0, flat, 1 - flat[-1]]))
        counts = np.diff(np.r_[0, change]).tolist()
        return dict(size=list(mask.shape), counts=counts)
    encoded = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=encoded['size'], counts=encoded['counts'].decode())


def wild_coco():
    """String ids, category ids 0 and 7, RLE and polygon masks, edge cases."""
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 30:50] = 1
    return dict(
        images=[
            dict(
                id='img-a',
                file_name='a.png',
                height=40,
                width=60,
                source='BUSI'),
            dict(id='img-b', file_name='a.png', height=40.0, width=60),
            dict(id='img-empty', file_name='a.png', height=40, width=60),
        ],
        categories=[dict(id=0, name='tumor'),
                    dict(id=7, name='cyst')],
        annotations=[
            dict(
                id='ann-1',
                image_id='img-a',
                category_id=0,
                segmentation=square(2, 2, 10),
                area=100,
                bbox=[2, 2, 10, 10],
                iscrowd=0),
            # flat polygon, no bbox / area
            dict(
                id='ann-2',
                image_id='img-a',
                category_id=7,
                segmentation=square(20, 5, 8)[0]),
            dict(
                id='ann-3',
                image_id='img-b',
                category_id=7,
                segmentation=rle(mask),
                area=0,
                source='BUSI'),
            dict(
                id='ann-4',
                image_id='img-b',
                category_id=0,
                segmentation=rle(mask, compressed=False)),
            # degenerate polygon: skipped
            dict(
                id='ann-5',
                image_id='img-b',
                category_id=0,
                segmentation=[[1, 1, 2, 2]]),
            # zero-area polygon (collinear points): skipped
            dict(
                id='ann-6',
                image_id='img-b',
                category_id=0,
                segmentation=[[1, 1, 5, 1, 9, 1]]),
        ])


def build(coco_dir, coco, images, **kwargs):
    ann_file = coco_dir(coco, images)
    cfg = dict(
        type='UltrasoundCocoDataset',
        data_root=str(coco_dir.root),
        ann_file=ann_file,
        data_prefix=dict(img='images/'),
        pipeline=TEST_PIPELINE,
        test_mode=True)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_wild_coco_loads_class_agnostic(coco_dir, gray_image, monkeypatch):
    logged = []
    monkeypatch.setattr(ultrasound_coco, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    dataset = build(coco_dir, wild_coco(), {'a.png': gray_image})
    assert dataset.metainfo['classes'] == ('object', )
    assert len(dataset) == 3
    infos = [dataset.get_data_info(i) for i in range(3)]
    assert [info['img_id']
            for info in infos] == ['img-a', 'img-b', 'img-empty']
    assert [len(info['instances']) for info in infos] == [2, 2, 0]
    assert all(inst['bbox_label'] == 0 for info in infos
               for inst in info['instances'])
    flat = infos[0]['instances'][1]
    assert flat['bbox'] == [20, 5, 28, 13] and isinstance(
        flat['mask'][0], list)
    assert infos[0]['source'] == 'BUSI' and infos[1]['source'] == 'BUSI'
    assert 'source' not in infos[2]
    assert any('skipped 1 annotations without a valid polygon' in m
               and 'skipped 1 annotations of zero area' in m for m in logged)

    # Both RLE flavours decode to the same mask at the original resolution.
    sample = dataset[1]['data_samples']
    ori = sample.gt_instances.ori_masks.masks
    assert ori.shape == (2, 40, 60)
    np.testing.assert_array_equal(ori[0], ori[1])
    assert ori[0].sum() == 400
    # The empty image is kept in test mode and packs to zero instances.
    assert len(dataset[2]['data_samples'].gt_instances) == 0


def test_class_specific_categories(coco_dir, gray_image):
    dataset = build(
        coco_dir, wild_coco(), {'a.png': gray_image}, class_agnostic=False)
    assert dataset.metainfo['classes'] == ('tumor', 'cyst')
    assert len(dataset.metainfo['palette']) == 2
    labels = [
        inst['bbox_label'] for inst in dataset.get_data_info(0)['instances']
    ]
    assert labels == [0, 1]
    only_cyst = build(
        coco_dir,
        wild_coco(), {'a.png': gray_image},
        class_agnostic=False,
        metainfo=dict(classes=('cyst', )))
    assert [len(only_cyst.get_data_info(i)['instances'])
            for i in range(3)] == [1, 1, 0]
    with pytest.raises(
            ValueError, match=r"ann.json: metainfo classes \['nodule'\]"):
        build(
            coco_dir,
            wild_coco(), {},
            class_agnostic=False,
            metainfo=dict(classes=('nodule', )))
    with pytest.raises(ValueError, match='exactly one class name'):
        build(
            coco_dir,
            wild_coco(), {},
            metainfo=dict(classes=('tumor', 'cyst')))


def test_zero_area_and_bbox_come_from_the_mask(coco_dir, gray_image,
                                               monkeypatch):
    logged = []
    monkeypatch.setattr(ultrasound_coco, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 30:50] = 1
    annotations = [
        # Valid masks with a bbox that is empty, outside the image or
        # elsewhere: loaded, with the mask's box.
        dict(segmentation=square(5, 5, 10), bbox=[0, 0, 0, 0], area=100),
        dict(segmentation=square(5, 5, 10), bbox=[100, 100, 10, 10]),
        dict(segmentation=rle(mask), bbox=[0, 0, 5, 5], area=0),
        # Agrees with the mask up to rasterisation: kept as declared.
        dict(segmentation=square(5.5, 5.5, 10), bbox=[5.5, 5.5, 10, 10]),
        # Zero-area mask (collinear points) with a plausible bbox: skipped.
        dict(segmentation=[[1, 1, 5, 1, 9, 1]], bbox=[1, 1, 8, 5], area=40),
    ]
    coco = dict(
        images=[dict(id=1, file_name='a.png', height=40, width=60)],
        categories=[dict(id=1, name='object')],
        annotations=[
            dict(id=i, image_id=1, category_id=1, **ann)
            for i, ann in enumerate(annotations)
        ])
    dataset = build(coco_dir, coco, {'a.png': gray_image})
    boxes = [inst['bbox'] for inst in dataset.get_data_info(0)['instances']]
    assert boxes == [[5, 5, 15, 15], [5, 5, 15, 15], [30, 10, 50, 30],
                     [5.5, 5.5, 15.5, 15.5]]
    warnings = [(msg, kw) for msg, kw in logged
                if kw.get('level') == logging.WARNING]
    assert len(warnings) == 1
    assert 'ann.json: recomputed the "bbox" of 3 annotations' in warnings[0][0]
    assert 'annotation ids 0, 1, 2)' in warnings[0][0]
    assert any('skipped 1 annotations of zero area' in msg
               for msg, _ in logged)


def test_training_filters_and_skips_empty_images(coco_dir, gray_image,
                                                 monkeypatch):
    logged = []
    monkeypatch.setattr(ultrasound_coco, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    coco = wild_coco()
    # A 1-pixel-high object vanishes when the image is shrunk to 32 px.
    coco['images'].append(dict(id=9, file_name='a.png', height=40, width=60))
    coco['annotations'].append(
        dict(
            id='thin',
            image_id=9,
            category_id=0,
            segmentation=[[5, 6, 50, 6, 50, 7, 5, 7]],
            area=45))
    dataset = build(
        coco_dir,
        coco, {'a.png': gray_image},
        pipeline=TRAIN_PIPELINE,
        test_mode=False,
        filter_cfg=dict(filter_empty_gt=True))
    assert len(dataset) == 3  # the image without annotations is filtered
    assert any('skipped 1 of 4 training images' in m for m in logged)
    assert dataset.prepare_data(2) is None
    assert any('no instance left after the pipeline' in m for m in logged)
    np.random.seed(0)
    sample = dataset[2]['data_samples']  # redrawn
    assert sample.img_id in ('img-a', 'img-b')


def test_train_pipeline_prompts_match_flipped_resized_masks(
        coco_dir, gray_image):
    dataset = build(
        coco_dir,
        wild_coco(), {'a.png': gray_image},
        pipeline=TRAIN_PIPELINE,
        test_mode=False)
    np.random.seed(1)
    seen_flip, seen_types = set(), set()
    for _ in range(8):
        for index in range(2):
            out = dataset[index]
            sample = out['data_samples']
            gt = sample.gt_instances
            assert out['inputs'].shape == (3, 21, 32)
            assert gt.masks.masks.shape[1:] == (21, 32)
            seen_flip.add(sample.flip)
            masks = gt.masks.masks
            for mask, coords, labels, box, ptype in zip(
                    masks, gt.point_coords, gt.point_labels, gt.prompt_boxes,
                    gt.prompt_types):
                seen_types.add(int(ptype))
                if ptype == PromptType.POINT:
                    x, y = coords[0].int().tolist()
                    assert labels[0] == 1 and mask[y, x]
                else:
                    assert (labels == -1).all()
                    ys, xs = np.nonzero(mask)
                    tight = np.array([xs.min(), ys.min(), xs.max(), ys.max()])
                    assert (np.abs(box.numpy() - tight) <= 20).all()
    assert seen_flip == {True, False}
    assert seen_types == {PromptType.POINT, PromptType.BOX}


def test_test_pipeline_is_deterministic_and_supports_pad(coco_dir, gray_image):
    pipeline = TEST_PIPELINE[:4] + [dict(type='Pad', size=(32, 32))
                                    ] + TEST_PIPELINE[4:]
    dataset = build(
        coco_dir, wild_coco(), {'a.png': gray_image}, pipeline=pipeline)
    first = dataset[0]['data_samples'].gt_instances
    np.random.seed(123)
    again = dataset[0]['data_samples'].gt_instances
    np.testing.assert_array_equal(first.point_coords, again.point_coords)
    assert first.masks.masks.shape[1:] == (32, 32)
    assert first.ori_masks.masks.shape[1:] == (40, 60)
    for mask, (x, y) in zip(first.masks.masks, first.point_coords[:, 0].int()):
        assert mask[y, x]


def test_dicom_frames_in_a_dataset(coco_dir):
    shutil.copy(
        get_testdata_file('examples_ybr_color.dcm'),
        coco_dir.root / 'cine.dcm')
    coco = dict(
        images=[
            dict(
                id=i,
                file_name='cine.dcm',
                height=240,
                width=320,
                frame=i * 10) for i in range(3)
        ],
        categories=[dict(id=1, name='object')],
        annotations=[
            dict(
                id=i,
                image_id=i,
                category_id=1,
                segmentation=square(100, 80, 50)) for i in range(3)
        ])
    ann_file = coco_dir(coco)
    dataset = DATASETS.build(
        dict(
            type='UltrasoundCocoDataset',
            data_root=str(coco_dir.root),
            ann_file=ann_file,
            pipeline=TEST_PIPELINE,
            test_mode=True))
    outs = [dataset[i] for i in range(3)]
    assert [o['data_samples'].frame for o in outs] == [0, 10, 20]
    assert outs[0]['inputs'].shape == (3, 24, 32)
    assert not np.array_equal(outs[0]['inputs'], outs[2]['inputs'])
