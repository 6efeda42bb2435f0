"""The web demo reports the selected mask's measurements: in mm for a
calibrated DICOM upload, in pixels (with the reason) for a PNG."""
import cv2
import numpy as np
import pytest

from ultrasam.apis import UltraSamPredictor, mask_prompts
from ultrasam.datasets.synthetic import (PhantomConfig, cine_loop_dicom,
                                         generate_cine_loop)

pytest.importorskip('fastapi', reason='the web demo needs requirements/demo.txt')
from fastapi.testclient import TestClient  # noqa: E402

from ultrasam.apis.web_app import create_app  # noqa: E402


@pytest.fixture(scope='module')
def client(phantom_config, demo_checkpoint):
    predictor = UltraSamPredictor.from_config(phantom_config, demo_checkpoint)
    return TestClient(create_app(predictor))


@pytest.fixture(scope='module')
def loop():
    return generate_cine_loop(np.random.default_rng(2), PhantomConfig(),
                              num_frames=3)


def click(client, data: bytes, filename: str, point) -> dict:
    state = client.post(f'/api/sessions?filename={filename}',
                        content=data).json()
    assert state['measurements'] is None  # no mask yet
    response = client.post(f'/api/sessions/{state["session"]}/points',
                           json=dict(x=point[0], y=point[1], label=1))
    assert response.status_code == 200, response.text
    return response.json()


def test_calibrated_dicom_in_mm(client, loop):
    point = mask_prompts(loop.masks[0])['point_coords'][0]
    data = cine_loop_dicom(loop.frames, (0.15, 0.15), 40.0)
    state = click(client, data, 'loop.dcm', point)
    measured = state['measurements']
    assert measured['unit'] == 'mm' and measured['pixel_spacing'] == [
        0.15, 0.15]
    # The session shows frame 0; the demo model's click Dice there is about
    # 0.9, so the area in mm^2 is near the true lesion's.
    true_area = loop.masks[0].sum() * 0.0225
    assert measured['area'] == pytest.approx(true_area, rel=0.25)
    assert measured['long_axis'] >= measured['short_axis'] > 0
    assert measured['echo_inside'] is not None


def test_png_in_pixels_with_the_reason(client, loop):
    point = mask_prompts(loop.masks[0])['point_coords'][0]
    data = cv2.imencode('.png', loop.frames[0])[1].tobytes()
    measured = click(client, data, 'frame.png', point)['measurements']
    assert measured['unit'] == 'px' and measured['pixel_spacing'] is None
    assert measured['calibration_note'] == (
        'no pixel spacing (the input states none)')
