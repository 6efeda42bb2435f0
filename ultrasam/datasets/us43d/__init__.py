"""US-43d: the pretraining corpus built from 43 public ultrasound datasets.

One declarative :class:`DatasetSpec` per dataset (``specs/``), shared
primitives for reading and decoding (``rawfs``, ``readers``, ``masks``,
``layouts``), group-aware splits (``splits``) and the builder (``build``,
driven by ``tools/dataset_converters/build_us43d.py``).
"""
from .build import (DEFAULT_MIN_AREA, DEFAULT_RATIOS, ORIGINAL_RATIOS,
                    BuildError, BuildSettings, Builder, locate)
from .spec import SPEC_VERSION, DatasetSpec, all_specs, get_spec

__all__ = [
    'Builder', 'BuildError', 'BuildSettings', 'DatasetSpec', 'SPEC_VERSION',
    'DEFAULT_MIN_AREA', 'DEFAULT_RATIOS', 'ORIGINAL_RATIOS', 'all_specs',
    'get_spec', 'locate'
]
