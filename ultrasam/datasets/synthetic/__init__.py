"""Synthetic B-mode ultrasound phantoms with exact lesion masks (data tooling).

``generate_phantom`` simulates one image (``simulator``: probes, lesions and the
acoustic chain); ``write_phantom_coco`` / ``ensure_phantom_coco`` write a
deterministic COCO set of them (see ``tools/dataset_converters/make_phantom.py``
and ``SyntheticPhantomDataset``); ``phantom_image_labels`` gives each image a
class (``PhantomClsDataset``); ``generate_cine_loop`` simulates a cine loop of a
moving lesion with per-frame masks (``cine``).
"""
from .cine import (CineLoop, cine_loop_dicom, generate_cine_loop,
                   write_cine_loop)
from .coco_writer import SPLITS, ensure_phantom_coco, write_phantom_coco
from .config import (GENERATOR_NAME, LESION_TYPES, MIN_IMAGE_SIZE,
                     PHANTOM_VERSION, PhantomConfig, PhantomSample)
from .labels import PHANTOM_CLASSES, phantom_image_labels
from .simulator import generate_phantom

__all__ = [
    'CineLoop', 'cine_loop_dicom', 'generate_cine_loop', 'write_cine_loop',
    'GENERATOR_NAME', 'LESION_TYPES', 'MIN_IMAGE_SIZE', 'PHANTOM_CLASSES',
    'PHANTOM_VERSION', 'SPLITS', 'PhantomConfig', 'PhantomSample', 'ensure_phantom_coco',
    'generate_phantom', 'phantom_image_labels', 'write_phantom_coco'
]
