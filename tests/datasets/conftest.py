"""Tiny COCO files and images written to tmp dirs for the dataset tests."""
import json

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

import ultrasam  # noqa: F401  registers the components


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


@pytest.fixture
def coco_dir(tmp_path):
    """Write images and a COCO file; returns ``write(coco, images) -> ann path``.

    ``images`` maps file names to arrays (written with OpenCV).
    """

    def write(coco: dict, images: dict = None, name: str = 'ann.json') -> str:
        (tmp_path / 'images').mkdir(exist_ok=True)
        for file_name, array in (images or {}).items():
            cv2.imwrite(str(tmp_path / 'images' / file_name), array)
        path = tmp_path / name
        path.write_text(json.dumps(coco))
        return str(path)

    write.root = tmp_path
    return write


@pytest.fixture
def gray_image():
    return (np.random.RandomState(0).rand(40, 60) * 255).astype(np.uint8)
