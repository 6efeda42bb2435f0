"""tools/deployment/export_onnx.py: the two ONNX graphs run by onnxruntime give
PyTorch's logits (<= 1e-3) for point, box and mask prompts."""
import json

import numpy as np
import pytest
import torch

from ultrasam.apis import UltraSamPredictor

onnxruntime = pytest.importorskip(
    'onnxruntime', reason='onnxruntime is not installed (requirements/demo.txt)')
TOLERANCE = 1e-3
TOOL = 'tools/deployment/export_onnx.py'


@pytest.fixture(scope='module')
def exported(phantom_config, init_checkpoint, load_script, tmp_path_factory):
    """The tiny model (seeded weights) exported once; its predictors.

    torch and onnxruntime run on one thread: on a machine shared with other
    jobs a descheduled second thread stalls every operator."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp('onnx')
    load_script(TOOL).main(
        [str(phantom_config), str(init_checkpoint), '--out', str(out)])
    from ultrasam.apis import OnnxUltraSamPredictor
    yield (UltraSamPredictor.from_config(phantom_config, init_checkpoint),
           OnnxUltraSamPredictor(out, threads=1), out)
    torch.set_num_threads(threads)


def _image(height: int, width: int) -> np.ndarray:
    return np.random.default_rng(height).integers(
        0, 256, (height, width, 3), dtype=np.uint8)


def _assert_same(reference, exported_output):
    for ref, out, name in zip(reference, exported_output,
                              ('masks', 'iou', 'low-res logits')):
        assert ref.shape == out.shape, name
        np.testing.assert_allclose(out, ref, atol=TOLERANCE, rtol=0,
                                   err_msg=name)


@pytest.mark.parametrize('height, width', [(300, 200), (180, 420)])
def test_point_box_mask_prompts_match_pytorch(exported, height, width):
    predictor, onnx_predictor, _ = exported
    image = _image(height, width)
    predictor.set_image(image)
    onnx_predictor.set_image(image)
    np.testing.assert_allclose(onnx_predictor.features,
                               predictor.features.numpy(), atol=TOLERANCE,
                               rtol=0)
    rng = np.random.default_rng(0)
    box = np.array([0.1 * width, 0.2 * height, 0.7 * width, 0.9 * height])
    # The decoder graph takes any number of points.
    points = rng.uniform(0, [width, height], (4, 2)).round(1)
    labels = np.array([1, 0, 1, 0])
    first = predictor.predict(points[:1], labels[:1], return_logits=True)
    prompts = [
        (dict(point_coords=points[:1], point_labels=labels[:1]), True),
        (dict(point_coords=points, point_labels=labels), False),
        (dict(box=box), False),
        (dict(point_coords=points[:2], point_labels=labels[:2], box=box),
         True),
        (dict(point_coords=points[:3], point_labels=labels[:3],
              mask_input=first[2][:1]), False),
        (dict(mask_input=first[2][1:2]), False),
    ]
    for prompt, multimask in prompts:
        reference = predictor.predict(
            **prompt, multimask_output=multimask, return_logits=True)
        _assert_same(reference, onnx_predictor.predict(
            **prompt, multimask_output=multimask, return_logits=True))
    masks, _, _ = onnx_predictor.predict(box=box, multimask_output=False)
    assert masks.dtype == bool and masks.shape == (1, height, width)


def test_padding_points_are_ignored(exported):
    """-1 points (SAM's padding for batched sets) change nothing."""
    _, onnx_predictor, _ = exported
    onnx_predictor.set_image(_image(300, 200))
    points = np.array([[50., 60], [120, 200]])
    plain = onnx_predictor.predict(points, np.array([1, 0]),
                                   return_logits=True)
    padded = onnx_predictor.predict(
        np.concatenate([points, [[0., 0], [199, 299]]]),
        np.array([1, 0, -1, -1]), return_logits=True)
    for a, b in zip(plain, padded):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)


def test_metadata_and_refusals(exported, phantom_config, init_checkpoint,
                               load_script, capsys):
    _, onnx_predictor, out = exported
    meta = json.loads((out / 'ultrasam_onnx.json').read_text())
    assert meta['input_size'] == 256 and meta['low_res_size'] == [64, 64]
    assert meta['decoder']['outputs'] == [
        'masks', 'iou_predictions', 'low_res_logits']
    tool = load_script(TOOL)
    # An earlier export is never replaced silently.
    with pytest.raises(SystemExit, match='already holds image_encoder.onnx'):
        tool.main([str(phantom_config), str(init_checkpoint), '--out',
                   str(out)])
    with pytest.raises(SystemExit):
        tool.main([str(phantom_config), str(out / 'missing.pth'), '--out',
                   str(out)])
    assert 'checkpoint file not found' in capsys.readouterr().err
    with pytest.raises(RuntimeError, match='no image set'):
        type(onnx_predictor)(out).predict(np.array([[1., 1]]), np.array([1]))
    onnx_predictor.set_image(_image(300, 200))
    with pytest.raises(ValueError,
                       match=r'point \[250.0, 10.0\] .* outside the 200x300'):
        onnx_predictor.predict(np.array([[250., 10]]), np.array([1]))
    with pytest.raises(ValueError, match='point_labels must be'):
        onnx_predictor.predict(np.array([[25., 10]]), np.array([2]))
