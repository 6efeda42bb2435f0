"""Every reader of model outputs / data samples works when they are off-host.

On a GPU run MMEngine moves data samples to the device and the model returns
device tensors; code that converts them with ``np.asarray`` works on CPU and
dies on the first GPU batch. :mod:`off_host` makes that failure observable
here: the tiny model predicts with off-host inputs, data samples and
embeddings, and its outputs go through both metrics, the visualizer and the
predictor (``tests/tools/test_off_host_test_run.py`` runs ``tools/test.py``).
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from off_host import OffHostTensor, OffHostUltraSam, off_host

from mmdet.registry import MODELS, TRANSFORMS, VISUALIZERS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from ultrasam.apis import UltraSamPredictor
from ultrasam.evaluation import measure_mask

TINY_CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
               'models' / 'ultrasam_vitt.py')


@pytest.fixture(scope='module')
def model() -> OffHostUltraSam:
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(TINY_CONFIG)).model
    cfg.type = 'OffHostUltraSam'
    torch.manual_seed(0)
    return MODELS.build(cfg).eval()


def packed_sample(prompt: str) -> dict:
    """A 150x200 image with two lesions through the test pipeline."""
    init_default_scope('mmdet')
    masks = np.zeros((2, 150, 200), np.uint8)
    masks[0, 20:70, 30:90] = 1
    masks[1, 90:130, 120:180] = 1
    image = np.full((150, 200, 3), 60, np.uint8)
    image[masks.any(0).astype(bool)] = 20
    results = dict(
        img=image,
        img_shape=(150, 200),
        ori_shape=(150, 200),
        img_path='off_host.png',
        img_id=7,
        gt_bboxes=HorizontalBoxes(
            torch.tensor([[30., 20, 90, 70], [120, 90, 180, 130]])),
        gt_bboxes_labels=np.zeros(2, np.int64),
        gt_ignore_flags=np.zeros(2, bool),
        gt_masks=BitmapMasks(masks, 150, 200))
    prompts = dict(type='PointsFromMasks', num_points=1, sampling='interior') \
        if prompt == 'point' else dict(type='BoxesFromMasks', jitter_ratio=0.)
    for cfg in (dict(type='KeepOriginalMasks'),
                dict(type='Resize', scale=(256, 256), keep_ratio=True),
                prompts, dict(type='PackPromptInputs')):
        results = TRANSFORMS.build(cfg)(results)
    return results


@pytest.fixture(scope='module', params=['point', 'box'])
def predicted(request, model):
    """Packed batch and the model's off-host predictions."""
    data = model.data_preprocessor(
        dict(
            inputs=[packed_sample(request.param)['inputs']],
            data_samples=[packed_sample(request.param)['data_samples']]))
    with torch.no_grad():
        samples = model.predict(data['inputs'], data['data_samples'])
    return data, samples


def test_the_double_refuses_host_conversion():
    tensor = off_host(torch.ones(2))
    with pytest.raises(TypeError, match='Tensor.cpu'):
        np.asarray(tensor)
    with pytest.raises(TypeError, match='Tensor.cpu'):
        tensor.numpy()
    assert type(tensor * 2) is OffHostTensor
    assert np.asarray(tensor.cpu()).tolist() == [1., 1.]


def test_predictions_and_samples_are_off_host(predicted):
    _, samples = predicted
    pred, gt = samples[0].pred_instances, samples[0].gt_instances
    for value in (pred.masks, pred.scores, pred.bboxes, pred.labels,
                  gt.labels, gt.prompt_types):
        assert isinstance(value, OffHostTensor)


@pytest.mark.parametrize(
    'metric', ['DiceIoUMetric', 'PromptCocoMetric', 'ClassDiceIoUMetric'])
def test_metrics(predicted, metric):
    _, samples = predicted
    evaluator = Evaluator(dict(type=metric))
    evaluator.dataset_meta = dict(classes=('object', ))
    evaluator.process(samples)
    results = evaluator.evaluate(1)
    assert results and all(np.isfinite(v) for v in results.values())


def test_measurements():
    """measure_mask on device tensors equals its result on host arrays."""
    mask = np.zeros((40, 60), bool)
    mask[10:30, 15:50] = True
    image = np.random.default_rng(0).integers(0, 255, (40, 60), np.uint8)
    on_host = measure_mask(mask, image=image)
    assert measure_mask(off_host(torch.from_numpy(mask)),
                        image=off_host(torch.from_numpy(image))) == on_host


def test_visualizer(predicted, tmp_path):
    data, samples = predicted
    visualizer = VISUALIZERS.build(
        dict(type='PromptVisualizer', name=f'off_host_{id(samples)}'))
    out = tmp_path / 'overlay.png'
    visualizer.add_datasample(
        'off_host',
        np.full((150, 200, 3), 60, np.uint8),
        samples[0],
        out_file=str(out))
    assert out.is_file() and out.stat().st_size > 0


def test_loss(model):
    data = model.data_preprocessor(
        dict(
            inputs=[packed_sample('point')['inputs']],
            data_samples=[packed_sample('point')['data_samples']]),
        training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert all(torch.isfinite(v) for v in losses.values())


def test_predictor(model):
    predictor = UltraSamPredictor(model)
    predictor.set_image(np.full((150, 200), 60, np.uint8))
    assert isinstance(predictor.features, OffHostTensor)
    masks, iou, low = predictor.predict(
        point_coords=off_host(torch.tensor([[50., 40]])),
        point_labels=off_host(torch.tensor([1])))
    assert masks.shape == (3, 150, 200) and np.isfinite(iou).all()
    masks, iou, low = predictor.predict_batch(
        boxes=off_host(torch.tensor([[30., 20, 90, 70]])),
        mask_input=off_host(torch.as_tensor(low[None, :1])))
    assert masks.shape == (1, 3, 150, 200)
