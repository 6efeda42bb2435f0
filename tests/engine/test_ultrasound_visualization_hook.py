"""UltrasoundVisualizationHook draws DICOM frames and 16-bit images (--show-dir)."""
import argparse
from pathlib import Path
from types import SimpleNamespace
from typing import Optional

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from pydicom.data import get_testdata_file

import ultrasam  # noqa: F401
from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.registry import HOOKS, TRANSFORMS, VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from ultrasam.datasets import read_ultrasound_image
from ultrasam.engine.hooks import UltrasoundVisualizationHook

YBR = get_testdata_file('examples_ybr_color.dcm')  # 30 frames, 240 x 320
RGB = get_testdata_file('examples_rgb_color.dcm')  # 240 x 320
CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / 'ultrasam' /
          'ultrasam_vitt_phantom.py')


@pytest.fixture(autouse=True)
def visualizer():
    init_default_scope('mmdet')
    # The hook draws with the visualizer created last.
    return VISUALIZERS.build(
        dict(type='PromptVisualizer', name='test_ultrasound_vis_hook'))


def packed_sample(img_path: str, frame: Optional[int] = None) -> DetDataSample:
    """Sample packed by the real pipeline (image resized x0.5, as in testing)
    with one prediction per prompt at the original resolution."""
    results = dict(img_path=img_path)
    if frame is not None:
        results['frame'] = frame
    results = TRANSFORMS.build(dict(type='LoadUltrasoundImage'))(results)
    h, w = results['ori_shape']
    masks = np.zeros((2, h, w), np.uint8)
    masks[0, h // 8:h // 2, w // 8:w // 2] = 1
    masks[1, h // 2:h - 10, w // 2:w - 10] = 1
    results.update(
        gt_masks=BitmapMasks(masks, h, w),
        gt_bboxes=HorizontalBoxes(np.zeros((2, 4), np.float32)),
        gt_bboxes_labels=np.zeros(2, np.int64),
        gt_ignore_flags=np.zeros(2, bool))
    for cfg in (dict(type='KeepOriginalMasks'),
                dict(type='Resize', scale=(w // 2, h // 2), keep_ratio=True),
                dict(type='PointsFromMasks', num_neg_points=1),
                dict(type='BoxesFromMasks', jitter_ratio=0),
                dict(type='PackPromptInputs')):
        results = TRANSFORMS.build(cfg)(results)
    sample = results['data_samples']
    sample.pred_instances = InstanceData(
        masks=torch.from_numpy(masks.astype(bool)),
        scores=torch.tensor([0.9, 0.4]))
    return sample


@pytest.fixture
def png16(tmp_path):
    """16-bit gradient using only 1000..1255: mmcv's 8-bit conversion (>> 8)
    would make it flat, min-max windowing spans 0..255."""
    img = (1000 + np.tile(np.arange(256, dtype=np.uint16), (40, 1)))
    path = tmp_path / 'scan16.png'
    cv2.imwrite(str(path), img)
    return str(path)


def test_load_image_uses_the_frame_and_windowing(png16):
    hook = UltrasoundVisualizationHook()
    sample = packed_sample(YBR, frame=1)
    assert sample.frame == 1
    frame1 = hook._load_image(sample)
    assert frame1.shape == (240, 320, 3) and frame1.dtype == np.uint8
    np.testing.assert_array_equal(frame1,
                                  read_ultrasound_image(YBR, frame=1)[..., ::-1])
    assert not np.array_equal(frame1,
                              read_ultrasound_image(YBR, frame=0)[..., ::-1])
    gray = hook._load_image(packed_sample(png16))[..., 0]
    np.testing.assert_array_equal(gray[0], np.arange(256))
    with pytest.raises(ValueError, match='windowing'):
        UltrasoundVisualizationHook(windowing='linear')


def test_after_test_iter_writes_pngs(tmp_path, png16):
    hook = UltrasoundVisualizationHook(draw=True, test_out_dir='vis')
    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='20240101')
    samples = [packed_sample(YBR, frame=1), packed_sample(RGB)]
    hook.after_test_iter(runner, 0, {}, samples)
    hook.after_test_iter(runner, 1, {}, [packed_sample(png16)])
    out_dir = tmp_path / '20240101' / 'vis'
    assert hook._test_index == 3
    written = {
        p.name: cv2.imread(str(p), cv2.IMREAD_UNCHANGED).shape
        for p in out_dir.iterdir()
    }
    # Ground-truth and prediction panels side by side, original resolution.
    assert written == {
        'examples_ybr_color_frame1.png': (240, 640, 3),
        'examples_rgb_color.png': (240, 640, 3),
        'scan16.png': (40, 512, 3),
    }
    # The drawing is made on the decoded frame: a corner without drawings.
    drawn = cv2.imread(str(out_dir / 'examples_ybr_color_frame1.png'))
    frame = read_ultrasound_image(YBR, frame=1)
    diff = np.abs(drawn[:15, :30].astype(int) - frame[:15, :30])
    assert diff.mean() < 2


def test_after_val_iter_keeps_interval_and_skips_decoding(tmp_path):
    hook = UltrasoundVisualizationHook(draw=True, interval=2)
    calls = []
    hook._visualizer.add_datasample = lambda name, image, **kw: calls.append(
        (name, image.shape, kw['step']))
    runner = SimpleNamespace(iter=0)
    sample = packed_sample(YBR, frame=2)
    missing = sample.clone()
    missing.set_metainfo(dict(img_path=str(tmp_path / 'missing.dcm')))
    hook.after_val_iter(runner, 1, {}, [missing])  # off-interval: not read
    hook.after_val_iter(runner, 2, {}, [sample])
    assert calls == [('val_img', (240, 320, 3), 2)]
    UltrasoundVisualizationHook(draw=False).after_val_iter(
        runner, 0, {}, [missing])


def test_test_py_show_dir_enables_the_configured_hook():
    cfg = Config.fromfile(str(CONFIG))
    assert cfg.default_hooks.visualization.type == 'UltrasoundVisualizationHook'
    cfg = trigger_visualization_hook(
        cfg, argparse.Namespace(show=False, show_dir='vis', wait_time=2))
    hook = HOOKS.build(cfg.default_hooks.visualization)
    assert type(hook) is UltrasoundVisualizationHook
    assert hook.draw and hook.test_out_dir == 'vis' and not hook.show
