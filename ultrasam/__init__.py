"""UltraSam: promptable segmentation foundation models for ultrasound.

Importing the package registers all of its components into the MMDetection /
MMPretrain / MMEngine registries (use ``custom_imports=dict(imports=['ultrasam'])``).
"""
from .utils import allow_mmengine_checkpoint_globals

allow_mmengine_checkpoint_globals()

from . import apis, datasets, engine, evaluation, models, visualization  # noqa: E402,F401,I001
from .version import __version__  # noqa: E402

__all__ = ['__version__']
