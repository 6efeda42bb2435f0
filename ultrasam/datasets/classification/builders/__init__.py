"""Label-file builders of the public ultrasound classification datasets (data
tooling behind ``tools/dataset_converters/build_classification.py``)."""
from .build import (DEFAULT_RATIOS, MANIFEST, BuildError, build_dataset,
                    locate)
from .spec import SPEC_VERSION, ClassificationSpec, all_specs, get_spec

__all__ = [
    'BuildError', 'ClassificationSpec', 'DEFAULT_RATIOS', 'MANIFEST',
    'SPEC_VERSION', 'all_specs', 'build_dataset', 'get_spec', 'locate'
]
