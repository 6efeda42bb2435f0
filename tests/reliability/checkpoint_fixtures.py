"""Tiny models, state dicts, data and broken checkpoint files for the reliability
tests of checkpoints, converters and the train / test entry points."""
import json
import os
import pickle
from pathlib import Path
from typing import Dict

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.registry import DefaultScope
from segment_anything.modeling import (ImageEncoderViT, MaskDecoder,
                                       PromptEncoder, Sam, TwoWayTransformer)

import ultrasam
from mmdet.registry import MODELS

REPO = Path(ultrasam.__file__).resolve().parent.parent
TINY_CONFIG = REPO / 'configs' / '_base_' / 'models' / 'ultrasam_vitt.py'
VITB_CONFIG = REPO / 'configs' / '_base_' / 'models' / 'ultrasam_vitb.py'
PHANTOM_CONFIG = REPO / 'configs' / 'ultrasam' / 'ultrasam_vitt_phantom.py'
US43D_CONFIG = REPO / 'configs' / 'ultrasam' / 'ultrasam_vitb_us43d.py'


def write_tiny_coco(root: Path, size: int = 96) -> None:
    """A COCO set with train and test splits of two gray images, each with one
    bright rectangle, in ``root``."""
    for split in ('train', 'test'):
        (root / 'images' / split).mkdir(parents=True)
        images, annotations = [], []
        for index in (1, 2):
            x0, y0, x1, y1 = 10 * index, 30, 10 * index + 40, 60
            image = np.full((size, size), 60, np.uint8)
            image[y0:y1, x0:x1] = 200
            name = f'{split}/{index}.png'
            cv2.imwrite(str(root / 'images' / name), image)
            images.append(dict(id=index, file_name=name, height=size,
                               width=size))
            annotations.append(dict(
                id=index, image_id=index, category_id=1, iscrowd=0,
                bbox=[x0, y0, x1 - x0, y1 - y0],
                area=float((x1 - x0) * (y1 - y0)),
                segmentation=[[x0, y0, x1, y0, x1, y1, x0, y1]]))
        (root / 'annotations').mkdir(exist_ok=True)
        (root / 'annotations' / f'{split}.json').write_text(json.dumps(dict(
            images=images, annotations=annotations,
            categories=[dict(id=1, name='object')])))


def write_tiny_test_config(folder: Path, data_root: Path) -> Path:
    """The tiny CPU config (ViT-T, 256 px) testing on the COCO set in
    ``data_root`` with one interior point per instance."""
    config = folder / 'ultrasam_vitt_coco.py'
    config.write_text(
        f'_base_ = {str(PHANTOM_CONFIG)!r}\n'
        'test_dataloader = dict(dataset=dict(\n'
        "    _delete_=True, type='UltrasoundCocoDataset',\n"
        f"    data_root={str(data_root) + '/'!r},\n"
        "    ann_file='annotations/test.json', data_prefix=dict(img='images/'),"
        '\n    test_mode=True, pipeline={{_base_.test_pipeline}}))\n')
    return config


def build_model(config: Path = TINY_CONFIG, seed: int = 0,
                device: str = 'cpu') -> torch.nn.Module:
    """The model of ``config``, seeded (``device='meta'``: shapes only)."""
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmdet'), torch.device(device):
        return MODELS.build(Config.fromfile(str(config)).model)


def tiny_sam() -> Sam:
    """A segment-anything model with the tiny config's sizes: its converted
    state dict loads strictly into ``build_model()``."""
    torch.manual_seed(0)
    return Sam(
        image_encoder=ImageEncoderViT(
            img_size=256, patch_size=16, embed_dim=96, depth=2, num_heads=4,
            out_chans=64, use_rel_pos=True, window_size=8,
            global_attn_indexes=(1, )),
        prompt_encoder=PromptEncoder(
            embed_dim=64, image_embedding_size=(16, 16),
            input_image_size=(256, 256), mask_in_chans=16),
        mask_decoder=MaskDecoder(
            transformer_dim=64,
            transformer=TwoWayTransformer(
                depth=2, embedding_dim=64, num_heads=4, mlp_dim=256),
            iou_head_hidden_dim=64))


def mmengine_checkpoint(state_dict: Dict[str, torch.Tensor]) -> dict:
    """What MMEngine's CheckpointHook saves: weights, meta and a message hub
    holding a HistoryBuffer (an allow-listed non-tensor global)."""
    buffer = HistoryBuffer()
    buffer.update(0.5)
    return dict(
        meta=dict(iter=4, epoch=0, seed=0),
        state_dict=state_dict,
        message_hub=dict(log_scalars={'train/loss': buffer}))


class _Payload:
    """Unpickling it would create the directory ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker, )


def _truncated(path: Path) -> None:
    torch.save({'w': torch.ones(64)}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _nan(path: Path) -> None:
    weights = {'a.weight': torch.ones(4), 'b.weight': torch.ones(3, 2)}
    weights['b.weight'][1, 0] = float('nan')
    weights['b.weight'][2, 1] = float('inf')
    torch.save(dict(state_dict=weights), path)


# name -> (writes the file at the given path, words the error must contain).
UNREADABLE_CHECKPOINTS: Dict[str, tuple] = {
    'missing': (lambda path: None, 'no such file'),
    'directory': (lambda path: path.mkdir(), 'is a directory'),
    'empty file': (lambda path: path.write_bytes(b''), 'empty (0 bytes)'),
    'truncated': (_truncated, 'truncated'),
    'text file': (lambda path: path.write_text('not weights\n'),
                  'not a torch checkpoint'),
    'pickled list': (lambda path: torch.save([torch.ones(2)], path),
                     'holds a list'),
    'malicious torch.save': (
        lambda path: torch.save({'w': _Payload(path.with_suffix('.pwned'))},
                                path), 'refused'),
    'malicious plain pickle': (
        lambda path: path.write_bytes(
            pickle.dumps(_Payload(path.with_suffix('.pwned')), protocol=4)),
        'refused'),
    'empty dict': (lambda path: torch.save({}, path), 'no weights'),
    'non-tensor entry': (
        lambda path: torch.save({'w': torch.ones(2), 'epoch': 3}, path),
        "entry 'epoch' is a int"),
    'non-finite weights': (_nan, 'b.weight holds 2 NaN/inf values of 6'),
}


def write_unreadable(name: str, path: Path) -> None:
    """Write the case ``name`` of :data:`UNREADABLE_CHECKPOINTS` at ``path``
    (a malicious one would create ``path.with_suffix('.pwned')``)."""
    UNREADABLE_CHECKPOINTS[name][0](path)
