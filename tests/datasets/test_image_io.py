"""Ultrasound image decoding, on pydicom's real ultrasound DICOMs and tiny files."""
import cv2
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_color_lut, pixel_array

from mmdet.registry import TRANSFORMS
from ultrasam.datasets import decode_ultrasound_image, read_ultrasound_image


def dicom(name):
    return get_testdata_file(name)


def check_bgr_uint8(img, shape):
    assert img.dtype == np.uint8 and img.shape == shape + (3, )
    assert img.flags.c_contiguous


def test_ybr_multiframe_dicom_frames_and_color():
    path = dicom('examples_ybr_color.dcm')  # 30-frame YBR_FULL_422 cine loop
    first = read_ultrasound_image(path)
    check_bgr_uint8(first, (240, 320))
    np.testing.assert_array_equal(first, read_ultrasound_image(path, frame=0))
    last = read_ultrasound_image(path, frame=29)
    assert not np.array_equal(first, last)
    # Gray ultrasound: after YBR -> RGB the channels nearly agree, whereas raw
    # YBR chroma channels sit around 128.
    assert np.abs(first[..., 0].astype(int) - first[..., 2]).mean() < 3
    with pytest.raises(ValueError, match='frame 30 requested.*30 frame'):
        read_ultrasound_image(path, frame=30)


def test_rgb_dicom_is_returned_as_bgr():
    path = dicom('examples_rgb_color.dcm')
    img = read_ultrasound_image(path)
    check_bgr_uint8(img, (240, 320))
    np.testing.assert_array_equal(img[..., ::-1], pixel_array(path))


def test_jpeg2000_ycbcr_dicom_matches_its_rgb_twin():
    # pydicom ships the same ultrasound frame as JPEG 2000 (YBR_RCT) and RGB.
    img = read_ultrasound_image(dicom('examples_jpeg2k.dcm'))
    check_bgr_uint8(img, (480, 640))
    rgb = read_ultrasound_image(dicom('examples_rgb_color.dcm'))
    small = cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - rgb).mean() < 8


def test_palette_dicom_goes_through_its_lut():
    path = dicom('examples_palette.dcm')
    img = read_ultrasound_image(path)
    check_bgr_uint8(img, (350, 800))
    ds = pydicom.dcmread(path)
    expected = (apply_color_lut(ds.pixel_array, ds) >> 8).astype(np.uint8)
    np.testing.assert_array_equal(img, expected[..., ::-1])
    assert not np.array_equal(img[..., 0], img[..., 2])  # really coloured


def test_16bit_dicom_window_and_minmax():
    mr = dicom('MR_small.dcm')  # 16-bit, WindowCenter 600 / WindowWidth 1600
    raw = pydicom.dcmread(mr).pixel_array.astype(float)
    expected = np.clip(np.round(((raw - 599.5) / 1599 + 0.5) * 255), 0,
                       255).astype(np.uint8)
    img = read_ultrasound_image(mr)
    check_bgr_uint8(img, (64, 64))
    np.testing.assert_array_equal(img[..., 0], expected)
    minmax = read_ultrasound_image(mr, windowing='minmax')
    assert minmax.min() == 0 and minmax.max() == 255
    full = read_ultrasound_image(mr, windowing='full_range')  # signed 16-bit
    np.testing.assert_array_equal(
        full[..., 0],
        np.round((raw + 32768) / 65535 * 255).astype(np.uint8))
    ct = read_ultrasound_image(dicom('CT_small.dcm'))  # no window: min-max
    assert ct.min() == 0 and ct.max() == 255


def encode(array, ext='.png'):
    ok, buf = cv2.imencode(ext, array)
    assert ok
    return buf.tobytes()


def test_8bit_gray_png_is_replicated_unscaled():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 10
    img = decode_ultrasound_image(encode(gray))
    check_bgr_uint8(img, (3, 4))
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], gray)


def test_16bit_gray_png_windowing_modes():
    gray = np.array([[1000, 2000], [3000, 5000]], np.uint16)
    data = encode(gray)
    minmax = decode_ultrasound_image(data)[..., 0]
    np.testing.assert_array_equal(minmax, [[0, 64], [128, 255]])
    full = decode_ultrasound_image(data, windowing='full_range')[..., 0]
    np.testing.assert_array_equal(full, np.round(gray / 65535 * 255))
    flat = decode_ultrasound_image(encode(np.full((2, 2), 7, np.uint16)))
    assert (flat == 0).all()


def test_rgb_and_rgba_png():
    bgr = np.zeros((2, 3, 3), np.uint8)
    bgr[..., 0], bgr[..., 2] = 200, 10
    np.testing.assert_array_equal(decode_ultrasound_image(encode(bgr)), bgr)
    bgra = np.concatenate([bgr, np.full((2, 3, 1), 255, np.uint8)], axis=2)
    bgra[0, 0, 3] = 0  # transparent pixel -> black
    bgra[1, 1, 3] = 51  # 20 % opaque
    img = decode_ultrasound_image(encode(bgra))
    check_bgr_uint8(img, (2, 3))
    np.testing.assert_array_equal(img[0, 0], [0, 0, 0])
    np.testing.assert_array_equal(img[1, 1], [40, 0, 2])
    np.testing.assert_array_equal(img[0, 1], bgr[0, 1])


def test_decoding_errors_name_the_file():
    with pytest.raises(ValueError, match='broken.png: not a decodable image'):
        decode_ultrasound_image(b'not an image', 'broken.png')
    with pytest.raises(ValueError, match=r'empty.png: empty file \(0 bytes\)'):
        decode_ultrasound_image(b'', 'empty.png')
    with pytest.raises(ValueError, match='x.png: frame=2.*only DICOM'):
        decode_ultrasound_image(encode(np.zeros((2, 2), np.uint8)), 'x.png', 2)
    with pytest.raises(ValueError, match='windowing must be one of'):
        decode_ultrasound_image(b'', windowing='linear')


def test_load_ultrasound_image_transform(tmp_path):
    path = tmp_path / 'cine.dcm'
    path.write_bytes(open(dicom('examples_ybr_color.dcm'), 'rb').read())
    load = TRANSFORMS.build(dict(type='LoadUltrasoundImage'))
    results = load(dict(img_path=str(path), frame=5, height=240, width=320))
    check_bgr_uint8(results['img'], (240, 320))
    assert results['ori_shape'] == results['img_shape'] == (240, 320)
    np.testing.assert_array_equal(results['img'],
                                  read_ultrasound_image(str(path), frame=5))
    with pytest.raises(
            ValueError,
            match='cine.dcm: decoded image is 240x320.*'
            'height=100, width=320'):
        load(dict(img_path=str(path), height=100, width=320))
    as_float = TRANSFORMS.build(
        dict(type='LoadUltrasoundImage', to_float32=True))
    assert as_float(dict(img_path=str(path)))['img'].dtype == np.float32
