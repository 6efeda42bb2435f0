"""Reliability catalogue: UltraSamPredictor refuses bad input clearly.

Each case gives the call, the error type and a pattern the message must
match (naming the offending value). The image array is never modified.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from ultrasam.apis import UltraSamPredictor

TINY_CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
               'models' / 'ultrasam_vitt.py')
HEIGHT, WIDTH = 256, 256


@pytest.fixture(scope='module')
def predictor():
    torch.manual_seed(0)
    predictor = UltraSamPredictor.from_config(TINY_CONFIG)
    predictor.set_image(np.full((HEIGHT, WIDTH), 80, np.uint8))
    return predictor


POINT = dict(point_coords=[[100, 80]], point_labels=[1])
BAD_PROMPTS = {
    # Harmful before: silently returned masks.
    'point outside the image': (dict(point_coords=[[5000, 80]],
                                     point_labels=[1]), ValueError,
                                r'point \[5000, 80\].*outside'),
    'negative point': (dict(point_coords=[[-5, 10]], point_labels=[1]),
                       ValueError, r'\[-5, 10\].*outside'),
    'box x2 < x1': (dict(box=[200, 20, 30, 160]), ValueError,
                    r'box \[200, 20, 30, 160\] must be'),
    'box outside the image': (dict(box=[1000, 1000, 2000, 2000]), ValueError,
                              r'box \[1000.*< 256'),
    'NaN point': (dict(point_coords=[[np.nan, 80]], point_labels=[1]),
                  ValueError, r'point_coords holds non-finite.*nan'),
    'NaN box': (dict(box=[np.nan, 0, 10, 10]), ValueError,
                r'boxes holds non-finite'),
    'NaN mask_input': (dict(box=[0, 0, 10, 10],
                            mask_input=np.full((1, 64, 64), np.nan)),
                       ValueError, r'mask_input holds non-finite'),
    'Inf point': (dict(point_coords=[[np.inf, 80]], point_labels=[1]),
                  ValueError, 'non-finite'),
    'fractional label': (dict(point_coords=[[100, 80]], point_labels=[0.9]),
                         ValueError, r'integers in \(-1, 0, 1\), got \[0\.9\]'),
    'label 2': (dict(point_coords=[[100, 80]], point_labels=[2]), ValueError,
                r'got \[2\]'),
    'string coordinates': (dict(point_coords=[['a', 'b']], point_labels=[1]),
                           TypeError, r"point_coords must be numeric.*'a'"),
    'only padding points': (dict(point_coords=[[100, 80]], point_labels=[-1]),
                            ValueError, r'prompt set 0 has no prompt'),
    'no points': (dict(point_coords=np.zeros((0, 2)),
                       point_labels=np.zeros(0)), ValueError,
                  r'prompt set 0 has no prompt'),
    'nothing at all': (dict(), ValueError, 'at least one of'),
    # Already clear before.
    'labels without coordinates': (dict(point_labels=[1]), ValueError,
                                   'given together'),
    'coordinates of the wrong shape': (dict(point_coords=[1., 2.],
                                            point_labels=[1]), ValueError,
                                       r'point_coords must be \(N, K, 2\)'),
    'labels of the wrong length': (dict(point_coords=[[1., 2.]],
                                        point_labels=[1, 1]), ValueError,
                                   r'point_labels must be \(N, K\)'),
    'box of 3 values': (dict(box=[1, 2, 3]), ValueError,
                        r'box must be \(4,\) or \(1, 4\), got shape \(3,\)'),
    'mask_input of the wrong size': (dict(box=[0, 0, 5, 5],
                                          mask_input=np.zeros((1, 256, 256))),
                                     ValueError,
                                     r'mask_input must be \(N, 1, 64, 64\)'),
}


@pytest.mark.parametrize('case', BAD_PROMPTS)
def test_bad_prompts(predictor, case):
    kwargs, error, pattern = BAD_PROMPTS[case]
    with pytest.raises(error, match=pattern):
        predictor.predict(**kwargs)


def test_point_on_the_last_pixel_and_full_image_box_are_accepted(predictor):
    masks, _, _ = predictor.predict(
        point_coords=[[WIDTH - 1, HEIGHT - 1]], point_labels=[1])
    assert masks.shape == (3, HEIGHT, WIDTH)
    masks, _, _ = predictor.predict(box=[0, 0, WIDTH - 1, HEIGHT - 1])
    assert masks.shape == (3, HEIGHT, WIDTH)


BAD_IMAGES = {
    'None': (None, TypeError, r'numpy array .* got NoneType'),
    'a path string': ('scan.png', TypeError,
                      r'got str; read files with .*read_ultrasound_image'),
    'four channels': (np.zeros((4, 4, 4), np.uint8), ValueError,
                      r'shape \(4, 4, 4\)'),
    'float image': (np.zeros((4, 4, 3), np.float32), TypeError, 'float32'),
    'empty image': (np.zeros((0, 5), np.uint8), ValueError, 'empty'),
    '1x5000 image': (np.zeros((1, 5000), np.uint8), ValueError,
                     r'1x5000 pixels is too elongated'),
}


@pytest.mark.parametrize('case', BAD_IMAGES)
def test_failed_set_image_forgets_the_previous_image(case):
    torch.manual_seed(0)
    predictor = UltraSamPredictor.from_config(TINY_CONFIG)
    predictor.set_image(np.full((HEIGHT, WIDTH), 80, np.uint8))
    image, error, pattern = BAD_IMAGES[case]
    before = None if not isinstance(image, np.ndarray) else image.copy()
    with pytest.raises(error, match=pattern):
        predictor.set_image(image)
    if before is not None:
        assert np.array_equal(image, before)
    # Never answers for the previous image.
    with pytest.raises(RuntimeError, match='no image set'):
        predictor.predict(**POINT)


def test_non_finite_weights_are_refused():
    torch.manual_seed(0)
    predictor = UltraSamPredictor.from_config(TINY_CONFIG)
    with torch.no_grad():
        predictor.model.mask_decoder.iou_token.weight[0, 0] = float('nan')
    with pytest.raises(ValueError,
                       match='mask_decoder.iou_token.weight holds non-finite'):
        UltraSamPredictor(predictor.model)


def test_non_finite_outputs_are_refused(predictor):
    predictor.features = predictor.features * float('nan')
    with pytest.raises(RuntimeError, match='non-finite mask logits'):
        predictor.predict(**POINT)
    predictor.set_image(np.full((HEIGHT, WIDTH), 80, np.uint8))


def test_preprocessor_normalises_like_training(predictor):
    """The predictor's input is exactly the data preprocessor's."""
    image = np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3),
                                              dtype=np.uint8)
    predictor.set_image(image)
    bgr = torch.from_numpy(image[..., ::-1].copy()).permute(2, 0, 1)
    expected = predictor.model.data_preprocessor(
        dict(inputs=[bgr], data_samples=None))['inputs']
    torch.testing.assert_close(predictor.features,
                               predictor.model.extract_feat(expected))
