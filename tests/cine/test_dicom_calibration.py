"""Physical calibration read from DICOM files (PixelSpacing, ultrasound
regions, frame time), given by the user, and carried by LoadUltrasoundImage
into the packed data sample's metainfo."""
import json

import cv2
import numpy as np
import pytest
from cine_dicom_helpers import dicom_bytes, ultrasound_region
from mmengine.registry import init_default_scope
from pydicom.data import get_testdata_file

import ultrasam  # noqa: F401  registers the transforms
from ultrasam.datasets import UltrasoundCocoDataset
from ultrasam.datasets.dicom_calibration import read_dicom_calibration
from ultrasam.datasets.transforms import LoadUltrasoundImage
from ultrasam.structures.calibration import PixelCalibration

FRAMES = np.zeros((3, 20, 30), np.uint8)


def test_pixel_spacing_and_frame_time():
    cal = read_dicom_calibration(
        dicom_bytes(FRAMES, pixel_spacing=[0.2, 0.3], frame_time=40.0),
        'a.dcm')
    assert cal.spacing == (0.2, 0.3)  # rows, columns
    assert cal.source == 'DICOM PixelSpacing'
    assert cal.frame_time_ms == 40.0 and cal.problems == ()
    assert cal.spacing_for((0, 0, 29, 19)) == ((0.2, 0.3), '')


def test_region_calibration_in_cm_is_converted_to_mm():
    region = ultrasound_region((0, 0, 29, 19), (0.05, 0.025))  # x, y in cm
    cal = read_dicom_calibration(
        dicom_bytes(FRAMES, regions=[region], cine_rate=25.0), 'r.dcm')
    assert cal.spacing == pytest.approx((0.25, 0.5))  # rows = y, cols = x
    assert cal.source == 'DICOM SequenceOfUltrasoundRegions'
    assert cal.frame_time_ms == pytest.approx(40.0)


def test_partial_region_applies_only_inside_it():
    region = ultrasound_region((5, 2, 20, 15), (0.01, 0.01))
    cal = read_dicom_calibration(dicom_bytes(FRAMES, regions=[region]),
                                 'p.dcm')
    assert cal.spacing is None and len(cal.regions) == 1
    assert cal.spacing_for((6, 3, 10, 10)) == ((0.1, 0.1), '')
    spacing, why = cal.spacing_for((0, 0, 10, 10))
    assert spacing is None and 'not inside one calibrated region' in why


def test_non_spatial_regions_are_skipped_and_bad_units_reported():
    doppler = ultrasound_region((0, 0, 29, 9), (0.01, 0.02), units=4,
                                spatial_format=3)  # spectral: seconds
    mmode_cm = ultrasound_region((0, 10, 29, 19), (1.0, 0.02), units=1)
    cal = read_dicom_calibration(
        dicom_bytes(FRAMES, regions=[doppler, mmode_cm]), 'd.dcm')
    assert not cal.is_spatial
    assert len(cal.problems) == 1 and 'not centimetres' in cal.problems[0]


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(pixel_spacing=[0.2, 0.2],
          regions=[ultrasound_region((0, 0, 29, 19), (0.03, 0.03))]),
     'contradicts the ultrasound region'),
    (dict(regions=[ultrasound_region((0, 0, 40, 19), (0.03, 0.03))]),
     'outside the 30x20 (WxH) frame'),
    (dict(frame_time=33.0, cine_rate=20.0), 'contradicts CineRate'),
    (dict(pixel_spacing=[0.2, -1.0]), 'not two positive numbers'),
])
def test_contradictions_are_reported_not_guessed(kwargs, fragment):
    cal = read_dicom_calibration(dicom_bytes(FRAMES, **kwargs), 'c.dcm')
    assert any(fragment in p for p in cal.problems), cal.problems
    if 'frame_time' in kwargs:
        assert cal.frame_time_ms is None
    else:
        assert not cal.is_spatial
        spacing, why = cal.spacing_for((0, 0, 1, 1))
        assert spacing is None and fragment in why


@pytest.mark.parametrize('kwargs, frame_time_ms, fragment', [
    (dict(frame_time_vector=[0, 40, 40, 40]), 40.0, None),
    (dict(frame_time_vector=[0, 40, 40, 40], frame_time=40.0,
          cine_rate=25.0), 40.0, None),
    (dict(frame_time_vector=[0, 40, 20, 40]), None,
     'FrameTimeVector intervals range from 20 to 40 ms'),
    (dict(frame_time_vector=[0, 40, 40, 40], frame_time=33.0), None,
     'FrameTime (33 ms) contradicts FrameTimeVector (40 ms)'),
    (dict(frame_time_vector=[0, 0, 0, 0]), None, 'no positive intervals'),
])
def test_frame_time_vector(kwargs, frame_time_ms, fragment):
    """A FrameTimeVector with equal intervals is the frame time; unequal
    intervals or other tags that disagree drop it, with the reason."""
    frames = np.zeros((4, 20, 30), np.uint8)
    cal = read_dicom_calibration(dicom_bytes(frames, **kwargs), 'v.dcm')
    assert cal.frame_time_ms == (None if frame_time_ms is None else
                                 pytest.approx(frame_time_ms))
    if fragment is None:
        assert cal.problems == ()
    else:
        assert len(cal.problems) == 1 and fragment in cal.problems[0]


def test_pydicom_cardiac_loop_calibration_does_not_fit_its_frames():
    """examples_ybr_color.dcm states a 0.0510 cm region spanning x 84..595,
    y 31..414 on 320x240 frames (it was downscaled after acquisition): the
    spacing is reported unusable; FrameTime 33.333 ms is kept."""
    cal = read_dicom_calibration(get_testdata_file('examples_ybr_color.dcm'))
    assert not cal.is_spatial
    assert cal.frame_time_ms == pytest.approx(33.333)
    assert len(cal.problems) == 1
    assert 'x 84..595, y 31..414, outside the 320x240' in cal.problems[0]


def test_user_spacing_fills_in_or_must_agree():
    assert PixelCalibration().with_user_spacing([0.5]).spacing == (0.5, 0.5)
    stated = PixelCalibration(spacing=(0.2, 0.3), source='DICOM PixelSpacing')
    assert stated.with_user_spacing([0.2, 0.3]) is stated
    with pytest.raises(ValueError, match='0.25,0.25 mm contradicts the DICOM'):
        stated.with_user_spacing([0.25])
    with pytest.raises(ValueError, match='positive finite'):
        PixelCalibration().with_user_spacing([0.0])
    with pytest.raises(ValueError, match='contradicts the frame time'):
        PixelCalibration(frame_time_ms=40.0).with_frame_time(20.0, '--fps')
    round_trip = PixelCalibration.from_dict(
        json.loads(json.dumps(stated.to_dict())))
    assert round_trip == stated


def test_load_ultrasound_image_carries_calibration_to_metainfo(tmp_path):
    init_default_scope('mmdet')
    path = tmp_path / 'loop.dcm'
    path.write_bytes(dicom_bytes(FRAMES, pixel_spacing=[0.2, 0.3],
                                 frame_time=40.0))
    results = LoadUltrasoundImage()(dict(img_path=str(path), frame=1))
    assert results['pixel_spacing'] == (0.2, 0.3)
    assert results['calibration']['frame_time_ms'] == 40.0
    assert results['calibration']['source'] == 'DICOM PixelSpacing'
    with pytest.raises(ValueError, match='annotation field pixel_spacing'):
        LoadUltrasoundImage()(dict(img_path=str(path), pixel_spacing=(1, 1)))


def test_coco_pixel_spacing_field_reaches_the_data_sample(coco_png):
    init_default_scope('mmdet')
    dataset = UltrasoundCocoDataset(
        ann_file=coco_png(pixel_spacing=0.4), data_prefix=dict(img=''),
        pipeline=[
            dict(type='LoadUltrasoundImage'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='BoxesFromMasks'),
            dict(type='PackPromptInputs')
        ], test_mode=True)
    sample = dataset[0]['data_samples']
    assert sample.pixel_spacing == (0.4, 0.4)
    assert sample.calibration['source'] == (
        f'{coco_png.png}: the annotation field pixel_spacing')
    with pytest.raises(Exception, match='"pixel_spacing"'):
        UltrasoundCocoDataset(ann_file=coco_png(pixel_spacing='x'),
                              data_prefix=dict(img=''), test_mode=True)


@pytest.fixture
def coco_png(tmp_path):
    """``coco_png(pixel_spacing=...)``: a one-image COCO file with that
    image field, the PNG next to it."""
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((20, 30), np.uint8))
    mask = dict(size=[20, 30], counts=[60, 10, 530])

    def write(pixel_spacing) -> str:
        coco = dict(
            images=[dict(id=1, file_name=str(tmp_path / 'a.png'), height=20,
                         width=30, pixel_spacing=pixel_spacing)],
            annotations=[dict(id=1, image_id=1, category_id=1,
                              segmentation=mask, bbox=[3, 0, 1, 10],
                              iscrowd=0)],
            categories=[dict(id=1, name='object')])
        path = tmp_path / 'ann.json'
        path.write_text(json.dumps(coco))
        return str(path)

    write.png = str(tmp_path / 'a.png')
    return write
