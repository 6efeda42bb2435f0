"""Datasets, image reading and transforms for promptable ultrasound segmentation,
and the classification datasets (``classification``)."""
from .classification import (LabelFileError, PhantomClsDataset,
                             UltrasoundClsDataset)
from .dicom_calibration import dicom_calibration, read_dicom_calibration
from .image_io import (WINDOWING_MODES, decode_ultrasound_image,
                       read_ultrasound_image)
from .phantom_seg_dataset import PhantomSegDataset
from .synthetic import PhantomConfig, generate_phantom, write_phantom_coco
from .synthetic_phantom import SyntheticPhantomDataset
from .transforms import *  # noqa: F401,F403
from .ultrasound_coco import (CocoFormatError, ImagePipelineError,
                              UltrasoundCocoDataset)
from .unlabeled import UnlabeledDataError, UnlabeledUltrasoundDataset

__all__ = [
    'CocoFormatError', 'ImagePipelineError', 'LabelFileError',
    'PhantomClsDataset', 'PhantomConfig', 'PhantomSegDataset',
    'SyntheticPhantomDataset', 'UltrasoundClsDataset', 'UltrasoundCocoDataset',
    'UnlabeledDataError', 'UnlabeledUltrasoundDataset', 'WINDOWING_MODES',
    'decode_ultrasound_image', 'dicom_calibration', 'generate_phantom',
    'read_dicom_calibration', 'read_ultrasound_image', 'write_phantom_coco'
]
