"""Ultrasound classification datasets (registered in mmpretrain's ``DATASETS``)
and the builders of their label files from the public raw datasets."""
from .phantom_cls_dataset import PhantomClsDataset
from .ultrasound_cls_dataset import LabelFileError, UltrasoundClsDataset

__all__ = ['LabelFileError', 'PhantomClsDataset', 'UltrasoundClsDataset']
