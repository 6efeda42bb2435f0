"""tools/demo/image_demo.py segments PNG and DICOM images from point / box prompts.

The script is run as a subprocess only a few times (each start imports torch and
mmdet, ~5 s); the argument parsing is tested in-process. Bad inputs are in the
reliability catalogue, ``tests/reliability/test_demo_cli.py``.
"""
import argparse
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import List

import cv2
import numpy as np
import pytest
from pydicom.data import get_testdata_file

import ultrasam  # noqa: F401
from ultrasam.apis import UltraSamPredictor
from ultrasam.apis.cli_support import prompts_outside
from ultrasam.datasets import (PhantomConfig, generate_phantom,
                               read_ultrasound_image)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools' / 'demo' / 'image_demo.py'
CONFIG = REPO / 'configs' / '_base_' / 'models' / 'ultrasam_vitt.py'
YBR = get_testdata_file('examples_ybr_color.dcm')  # 30 frames, 240 x 320
JPEG2K = get_testdata_file('examples_jpeg2k.dcm')  # 480 x 640


@pytest.fixture(scope='module')
def demo(load_script) -> ModuleType:
    return load_script('tools/demo/image_demo.py')


@pytest.fixture(scope='module')
def checkpoint(init_checkpoint) -> str:
    """Seeded random weights of the tiny model (the phantom config's model is
    ``CONFIG``'s)."""
    return str(init_checkpoint)


@pytest.fixture(scope='module')
def phantom(tmp_path_factory):
    """A phantom PNG cropped to 128 x 100 (H != W catches swapped axes) and the
    mask of its first lesion."""
    sample = generate_phantom(
        np.random.default_rng(0), PhantomConfig(image_size=128))
    image, mask = sample.image[:, :100], sample.instances[0]['mask'][:, :100]
    assert mask.any()
    path = tmp_path_factory.mktemp('phantom') / 'phantom.png'
    cv2.imwrite(str(path), image)
    return str(path), mask


def run(args: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args],
                          capture_output=True,
                          text=True,
                          timeout=600)


def test_png_points_and_box(tmp_path, checkpoint, phantom):
    image_path, lesion = phantom
    rows, cols = np.nonzero(lesion)
    x, y = int(np.median(cols)), int(np.median(rows))
    box = [cols.min(), rows.min(), cols.max(), rows.max()]
    out, mask_out = tmp_path / 'vis' / 'out.png', tmp_path / 'mask.png'
    result = run([
        image_path, str(CONFIG), checkpoint, '--points', f'{x},{y}', '2,3,0',
        '--box', ','.join(map(str, box)), '--out', str(out), '--mask-out',
        str(mask_out)
    ])
    assert result.returncode == 0, result.stderr
    assert 'mask:' in result.stdout
    # Only the prediction panel is drawn, at the image's size.
    assert cv2.imread(str(out)).shape == (128, 100, 3)
    mask = cv2.imread(str(mask_out), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (128, 100) and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 255}
    # The script passes the prompts as given to the predictor.
    predictor = UltraSamPredictor.from_config(CONFIG, checkpoint)
    predictor.set_image(read_ultrasound_image(image_path)[..., ::-1])
    masks, scores, _ = predictor.predict(
        np.array([[x, y], [2, 3]]),
        np.array([1, 0]),
        np.array(box),
        multimask_output=False)
    np.testing.assert_array_equal(mask, masks[np.argmax(scores)] * 255)


def test_dicom_frame(tmp_path, checkpoint):
    out, mask_out = tmp_path / 'out.png', tmp_path / 'mask.png'
    result = run([
        YBR,
        str(CONFIG), checkpoint, '--frame', '1', '--points', '160,120',
        '--box', '100,60,220,180', '--multimask', '--out',
        str(out), '--mask-out',
        str(mask_out)
    ])
    assert result.returncode == 0, result.stderr
    assert cv2.imread(str(out)).shape == (240, 320, 3)
    mask = cv2.imread(str(mask_out), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (240, 320)
    assert set(np.unique(mask)) <= {0, 255}


def test_jpeg2k_dicom_in_process(tmp_path, checkpoint, demo, capsys):
    out = tmp_path / 'out.png'
    demo.main([
        JPEG2K,
        str(CONFIG), checkpoint, '--box', '100,50,500,400', '--out',
        str(out)
    ])
    assert cv2.imread(str(out)).shape == (480, 640, 3)
    assert 'mask:' in capsys.readouterr().out


def test_jpeg_in_process(tmp_path, checkpoint, phantom, demo, capsys):
    jpg = tmp_path / 'phantom.jpg'
    cv2.imwrite(str(jpg), cv2.imread(phantom[0], cv2.IMREAD_UNCHANGED))
    out, mask_out = tmp_path / 'out.jpg', tmp_path / 'mask.png'
    ys, xs = np.nonzero(phantom[1])
    demo.main([
        str(jpg),
        str(CONFIG), checkpoint, '--points', f'{xs[0]},{ys[0]}', '--out',
        str(out), '--mask-out',
        str(mask_out)
    ])
    assert cv2.imread(str(out)).shape == (128, 100, 3)
    assert cv2.imread(str(mask_out), cv2.IMREAD_UNCHANGED).shape == (128, 100)
    assert 'mask:' in capsys.readouterr().out


def test_bf16_encoder_in_process(tmp_path, checkpoint, phantom, demo):
    """--precision bf16 reaches the predictor: the mask is the bf16
    predictor's."""
    image_path, lesion = phantom
    rows, cols = np.nonzero(lesion)
    x, y = int(np.median(cols)), int(np.median(rows))
    out, mask_out = tmp_path / 'out.png', tmp_path / 'mask.png'
    demo.main([
        image_path,
        str(CONFIG), checkpoint, '--points', f'{x},{y}', '--precision',
        'bf16', '--out',
        str(out), '--mask-out',
        str(mask_out)
    ])
    predictor = UltraSamPredictor.from_config(
        CONFIG, checkpoint, precision='bf16')
    predictor.set_image(read_ultrasound_image(image_path)[..., ::-1])
    masks, scores, _ = predictor.predict(
        np.array([[x, y]]), np.array([1]), multimask_output=False)
    np.testing.assert_array_equal(
        cv2.imread(str(mask_out), cv2.IMREAD_UNCHANGED),
        masks[np.argmax(scores)] * 255)


def test_parse_point_and_box(demo):
    assert demo.parse_point('3,4') == (3., 4., 1)
    assert demo.parse_point('3.5,4,0') == (3.5, 4., 0)
    # Values protected from argparse by a leading space (see below).
    assert demo.parse_point(' -3,4') == (-3., 4., 1)
    for text in ('3', '1,2,3,4', 'a,2', '1,2,1.0', '1,2,-1', 'nan,2',
                 '1,inf'):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
            demo.parse_point(text)
    assert demo.parse_box('1,2,3,4') == [1., 2., 3., 4.]
    assert demo.parse_box('1,2,1,2') == [1., 2., 1., 2.]
    assert demo.parse_box(' -1,-2,3,4') == [-1., -2., 3., 4.]
    for text in ('1,2,3', '3,2,1,4', '1,4,3,2', '1,2,x,4', '1,2,nan,4'):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
            demo.parse_box(text)


def test_negative_values_and_repeated_points_parse(demo, checkpoint,
                                                   phantom):
    args = demo.parse_args([
        phantom[0], str(CONFIG), checkpoint, '--points', '-5,10', '3,-4,0',
        '--points=-1.5,2', '--box', '-1,-2,3,4', '--frame', '-1', '--out',
        'out.png'
    ])
    assert args.points == [(-5., 10., 1), (3., -4., 0), (-1.5, 2., 1)]
    assert args.box == [-1., -2., 3., 4.] and args.frame == -1


def test_force_replaces_an_existing_output(tmp_path, checkpoint, phantom,
                                           demo, capsys):
    out, mask_out = tmp_path / 'new' / 'out.png', tmp_path / 'mask.png'
    mask_out.write_bytes(b'previous result')
    demo.main([
        phantom[0],
        str(CONFIG), checkpoint, '--box', '10,10,60,90', '--out',
        str(out), '--mask-out',
        str(mask_out), '--force'
    ])
    assert cv2.imread(str(out)).shape == (128, 100, 3)
    assert cv2.imread(str(mask_out), cv2.IMREAD_UNCHANGED).shape == (128, 100)
    assert 'mask:' in capsys.readouterr().out


def test_prompts_outside():
    """Edges count as inside; the first prompt outside is named."""
    where = 'image us.png'
    assert prompts_outside([(99.5, 127., 1)], [0, 0, 99, 127], 128, 100,
                           where) is None
    assert prompts_outside([], [0, 0, 100, 127], 128, 100, where) == (
        '--box 0,0,100,127 is outside the 100x128 (WxH) image us.png')
    assert prompts_outside([(-0.5, 3., 1)], None, 128, 100, where).startswith(
        '--points -0.5,3 is outside')
