"""Tiny UltraSam models and synthetic data samples for the model tests."""
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import ultrasam  # noqa: F401  (registers the modules)
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from ultrasam.structures import PromptType

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO / 'configs' / '_base_' / 'models' / 'ultrasam_vitt.py'
SIZE = 256


def build_tiny(seed: int = 0,
               train_cfg: Optional[dict] = None,
               test_cfg: Optional[dict] = None,
               transformer: Optional[dict] = None):
    """The tiny config's model, seeded, with train / test_cfg and decoder
    transformer updates."""
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(TINY_CONFIG))
    cfg.model.train_cfg.update(train_cfg or {})
    cfg.model.test_cfg.update(test_cfg or {})
    cfg.model.mask_decoder.transformer.update(transformer or {})
    torch.manual_seed(seed)
    return MODELS.build(cfg.model)


def make_sample(num: int,
                img_shape=(SIZE, 192),
                ori_shape=(512, 384),
                num_points: int = 2,
                types: Optional[List[int]] = None,
                seed: int = 0) -> DetDataSample:
    """A data sample with ``num`` rectangular lesions and mixed prompts.

    Instance i gets prompt type ``types[i]`` (cycling POINT, BOX,
    POINT_AND_BOX by default); point rows hold one positive point inside the
    lesion, one negative point outside, then -1 padding.
    """
    rng = np.random.default_rng(seed)
    h, w = img_shape
    sample = DetDataSample(
        metainfo=dict(
            img_shape=img_shape,
            ori_shape=ori_shape,
            pad_shape=(SIZE, SIZE),
            batch_input_shape=(SIZE, SIZE),
            scale_factor=(w / ori_shape[1], h / ori_shape[0])))
    masks = np.zeros((num, h, w), np.uint8)
    coords = np.zeros((num, num_points, 2), np.float32)
    labels = -np.ones((num, num_points), np.int64)
    boxes = np.zeros((num, 4), np.float32)
    types = types if types is not None else [i % 3 for i in range(num)]
    for i in range(num):
        y0, x0 = rng.integers(0, h - 60), rng.integers(0, w - 60)
        y1, x1 = y0 + rng.integers(20, 60), x0 + rng.integers(20, 60)
        masks[i, y0:y1, x0:x1] = 1
        boxes[i] = [x0, y0, x1 - 1, y1 - 1]
        if types[i] != PromptType.BOX:
            coords[i, 0] = [(x0 + x1) / 2, (y0 + y1) / 2]
            labels[i, 0] = 1
            if num_points > 1:
                coords[i, 1] = [min(x1 + 5, w - 1), min(y1 + 5, h - 1)]
                labels[i, 1] = 0
    gt = InstanceData()
    gt.masks = BitmapMasks(masks, h, w)
    gt.labels = torch.zeros(num, dtype=torch.long)
    gt.point_coords = torch.from_numpy(coords)
    gt.point_labels = torch.from_numpy(labels)
    gt.prompt_boxes = torch.from_numpy(boxes)
    gt.prompt_types = torch.tensor(types, dtype=torch.long)
    sample.gt_instances = gt
    return sample


def lesion_image(sample: DetDataSample, seed: int = 0) -> torch.Tensor:
    """uint8 (3, h, w) image: noise with the sample's lesions darker."""
    g = torch.Generator().manual_seed(seed)
    h, w = sample.metainfo['img_shape']
    img = torch.randint(90, 160, (h, w), generator=g).float()
    masks = torch.from_numpy(sample.gt_instances.masks.masks).bool().any(0)
    img[masks] -= 60
    return img.clamp(0, 255).to(torch.uint8).expand(3, h, w).clone()
