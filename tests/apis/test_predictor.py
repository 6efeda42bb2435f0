"""UltraSamPredictor on the tiny config."""
from pathlib import Path

import numpy as np
import pytest
import torch

from ultrasam.apis import UltraSamPredictor

TINY_CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
               'models' / 'ultrasam_vitt.py')
LOW = 64  # low-res mask size of the tiny model (4 x 16)


@pytest.fixture(scope='module')
def predictor():
    torch.manual_seed(0)
    return UltraSamPredictor.from_config(TINY_CONFIG)


@pytest.fixture(scope='module')
def image():
    return np.random.default_rng(0).integers(0, 256, (300, 200, 3),
                                             dtype=np.uint8)


def test_predict_shapes(predictor, image):
    predictor.set_image(image)
    assert predictor.original_size == (300, 200)
    assert predictor.input_size == (256, 171)
    points, labels = np.array([[50., 60], [120, 200]]), np.array([1, 0])
    masks, iou, low = predictor.predict(points, labels)
    assert masks.shape == (3, 300, 200) and masks.dtype == bool
    assert iou.shape == (3, ) and low.shape == (3, LOW, LOW)
    masks, iou, low = predictor.predict(
        box=np.array([20, 30, 150, 250]), multimask_output=False)
    assert masks.shape == (1, 300, 200) and iou.shape == (1, )
    logits, _, low2 = predictor.predict(
        points, labels, mask_input=low, return_logits=True)
    assert logits.dtype == np.float32 and logits.shape == (3, 300, 200)
    assert not np.allclose(low2, predictor.predict(points, labels)[2])


def test_predict_batch_matches_single_predictions(predictor, image):
    predictor.set_image(image)
    coords = np.array([[[50., 60], [0, 0]], [[120, 200], [30, 40]]])
    labels = np.array([[1, -1], [1, 0]])  # -1 pads the first set
    boxes = np.array([[20., 30, 150, 250], [10, 10, 100, 120]])
    masks, iou, low = predictor.predict_batch(coords, labels, boxes)
    assert masks.shape == (2, 3, 300, 200) and iou.shape == (2, 3)
    assert low.shape == (2, 3, LOW, LOW)
    first = predictor.predict(coords[0, :1], labels[0, :1], boxes[0])
    second = predictor.predict(coords[1], labels[1], boxes[1])
    for i, single in enumerate((first, second)):
        np.testing.assert_allclose(low[i], single[2], atol=1e-4)
        np.testing.assert_allclose(iou[i], single[1], atol=1e-5)
    boxes_only = predictor.predict_batch(boxes=boxes, multimask_output=False)
    assert boxes_only[0].shape == (2, 1, 300, 200)
    masks, iou, low = predictor.predict_batch(boxes=np.zeros((0, 4)))
    assert masks.shape == (0, 3, 300, 200) and iou.shape == (0, 3)
    assert low.shape == (0, 3, LOW, LOW)


def test_grayscale_and_uint16_images(predictor):
    gray = np.random.default_rng(1).integers(0, 256, (128, 256), np.uint8)
    gray[0, 0], gray[0, 1] = 0, 255
    point, label = np.array([[10., 20]]), np.array([1])
    predictor.set_image(gray)
    masks, _, from_gray = predictor.predict(point, label)
    assert masks.shape == (3, 128, 256)
    predictor.set_image(np.repeat(gray[..., None], 3, 2))
    np.testing.assert_allclose(
        predictor.predict(point, label)[2], from_gray, atol=1e-5)
    # uint16 is stretched from its own min / max to 0..255: x * 257 spans
    # 0..65535 and gives back the uint8 image.
    predictor.set_image(gray.astype(np.uint16) * 257)
    np.testing.assert_allclose(
        predictor.predict(point, label)[2], from_gray, atol=1e-4)


def test_checkpoint_round_trip(tmp_path, image):
    torch.manual_seed(1)
    first = UltraSamPredictor.from_config(TINY_CONFIG)
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=first.model.state_dict()), ckpt)
    torch.manual_seed(2)
    second = UltraSamPredictor.from_config(str(TINY_CONFIG), ckpt)
    outputs = []
    for p in (first, second):
        p.set_image(image)
        outputs.append(p.predict(np.array([[50., 60]]), np.array([1]))[2])
    np.testing.assert_allclose(*outputs, atol=1e-6)


def test_errors(image):
    predictor = UltraSamPredictor.from_config(TINY_CONFIG)
    with pytest.raises(RuntimeError, match='set_image'):
        predictor.predict(box=np.array([0, 0, 5, 5]))
    with pytest.raises(ValueError, match=r'shape \(4, 4, 4\)'):
        predictor.set_image(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(TypeError, match='float32'):
        predictor.set_image(np.zeros((4, 4, 3), np.float32))
    predictor.set_image(image)
    with pytest.raises(ValueError, match='point_coords and point_labels'):
        predictor.predict(point_labels=np.array([1]))
    with pytest.raises(ValueError, match='point_coords must be'):
        predictor.predict(np.array([1., 2]), np.array([1]))
    with pytest.raises(ValueError, match='point_labels must be'):
        predictor.predict(np.array([[1., 2]]), np.array([1, 1]))
    with pytest.raises(ValueError, match=r'got \[3\]'):
        predictor.predict(np.array([[1., 2]]), np.array([3]))
    with pytest.raises(ValueError, match='box must be'):
        predictor.predict(box=np.array([1, 2, 3]))
    with pytest.raises(ValueError, match='mask_input must be'):
        predictor.predict(box=np.array([0, 0, 5, 5]),
                          mask_input=np.zeros((1, 256, 256)))
    with pytest.raises(ValueError, match='number of prompt sets'):
        predictor.predict_batch(boxes=np.zeros((2, 4)),
                                point_coords=np.zeros((3, 1, 2)),
                                point_labels=np.ones((3, 1)))
    with pytest.raises(ValueError, match='at least one'):
        predictor.predict()
    with pytest.raises(TypeError, match='UltraSam'):
        UltraSamPredictor(torch.nn.Linear(1, 1))


def test_bf16_encoder_keeps_the_demo_model_accurate(phantom_config,
                                                    demo_checkpoint,
                                                    lesion_phantom, dice,
                                                    single_thread):
    """The encoder under bfloat16 autocast: a float32 embedding close to the
    float32 encoder's, and masks of each lesion as good as float32 ones."""
    predictors = {
        precision: UltraSamPredictor.from_config(
            phantom_config, demo_checkpoint, precision=precision)
        for precision in ('fp32', 'bf16')
    }
    masks = {}
    for precision, predictor in predictors.items():
        predictor.set_image(lesion_phantom.image)
        assert predictor.features.dtype == torch.float32
        masks[precision] = [
            predictor.predict(np.array([click]), np.array([1]),
                              multimask_output=False)[0][0]
            for click in lesion_phantom.clicks
        ]
    fp32, bf16 = (predictors[p].features for p in ('fp32', 'bf16'))
    assert not torch.equal(fp32, bf16)
    assert (bf16 - fp32).abs().max() < 0.02 * fp32.abs().max()
    for truth, mask32, mask16 in zip(lesion_phantom.lesions, masks['fp32'],
                                     masks['bf16']):
        assert dice(mask32, mask16) > 0.99
        assert dice(mask16, truth) > dice(mask32, truth) - 0.02


def test_unknown_encoder_precision_is_refused():
    with pytest.raises(ValueError, match=r"\['bf16', 'fp32'\], got 'fp16'"):
        UltraSamPredictor.from_config(TINY_CONFIG, precision='fp16')
