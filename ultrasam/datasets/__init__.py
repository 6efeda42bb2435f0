"""Datasets, image reading and transforms for promptable ultrasound segmentation,
and the classification datasets (``classification``)."""
from .classification import (LabelFileError, PhantomClsDataset,
                             UltrasoundClsDataset)
from .image_io import (WINDOWING_MODES, decode_ultrasound_image,
                       read_ultrasound_image)
from .synthetic import PhantomConfig, generate_phantom, write_phantom_coco
from .phantom_seg_dataset import PhantomSegDataset
from .synthetic_phantom import SyntheticPhantomDataset
from .transforms import *  # noqa: F401,F403
from .ultrasound_coco import (CocoFormatError, ImagePipelineError,
                              UltrasoundCocoDataset)
from .unlabeled import UnlabeledDataError, UnlabeledUltrasoundDataset

__all__ = [
    'LabelFileError', 'PhantomClsDataset', 'UltrasoundClsDataset',
    'CocoFormatError', 'ImagePipelineError', 'UltrasoundCocoDataset', 'SyntheticPhantomDataset', 'WINDOWING_MODES',
    'decode_ultrasound_image', 'read_ultrasound_image', 'PhantomConfig',
    'generate_phantom', 'write_phantom_coco'
]
__all__ += ['UnlabeledDataError', 'UnlabeledUltrasoundDataset']
__all__ += ['PhantomSegDataset']
