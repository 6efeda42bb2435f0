"""Unlabeled ultrasound images for self-supervised pretraining (MAE): sources,
hold-out list, duplicate removal and the manifest of what was used."""
from .holdout import DEFAULT_HOLDOUT, HoldoutList, fold_name
from .manifest import (DEDUP_MODES, build_manifest, manifest_settings,
                       read_manifest, write_manifest)
from .sources import SOURCE_KINDS, UnlabeledDataError
from .unlabeled_ultrasound_dataset import UnlabeledUltrasoundDataset

__all__ = [
    'DEDUP_MODES', 'DEFAULT_HOLDOUT', 'HoldoutList', 'SOURCE_KINDS',
    'UnlabeledDataError', 'UnlabeledUltrasoundDataset', 'build_manifest',
    'fold_name', 'manifest_settings', 'read_manifest', 'write_manifest'
]
