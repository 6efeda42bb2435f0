"""``import ultrasam`` registers every component into the OpenMMLab registries."""
import inspect
import subprocess
import sys
import textwrap

import pytest
from mmdet import registry as mmdet_registry

import ultrasam  # noqa: F401

EXPECTED = {
    'MODELS': {'UltraSam', 'SamPromptEncoder', 'SamMaskDecoder',
               'TwoWayTransformer'},
    'TRANSFORMS': {'LoadUltrasoundImage', 'PointsFromMasks', 'BoxesFromMasks',
                   'RandomPromptType', 'KeepOriginalMasks', 'PackPromptInputs'},
    'METRICS': {'DiceIoUMetric', 'PromptCocoMetric'},
    'VISUALIZERS': {'PromptVisualizer'},
    'DATASETS': {'UltrasoundCocoDataset'},
    'HOOKS': {'RNGStateHook', 'UltrasoundVisualizationHook'},
    'MODEL_WRAPPERS': {'DeviceAwareDistributedDataParallel'},
}


def _ours(registry):
    return {
        name for name, cls in registry.module_dict.items()
        if cls.__module__.startswith('ultrasam.')
    }


@pytest.mark.parametrize('registry_name', sorted(EXPECTED))
def test_components_registered_in_mmdet_scope(registry_name):
    registry = getattr(mmdet_registry, registry_name)
    assert registry.scope == 'mmdet'
    assert EXPECTED[registry_name] <= _ours(registry)


def test_every_registered_class_is_reachable_from_import_ultrasam():
    """Nothing registered in a submodule is missed by the package's imports
    (checked in a fresh interpreter, where only ``import ultrasam`` ran)."""
    script = textwrap.dedent(f"""
        import importlib, pkgutil
        from mmdet import registry
        import ultrasam
        names = {sorted(EXPECTED)!r}
        def ours():
            return {{n: sorted(k for k, c in getattr(registry, n).module_dict.items()
                              if c.__module__.startswith('ultrasam.'))
                    for n in names}}
        before = ours()
        for m in pkgutil.walk_packages(ultrasam.__path__, 'ultrasam.'):
            importlib.import_module(m.name)
        assert ours() == before, (before, ours())
        """)
    subprocess.run([sys.executable, '-c', script], check=True)


def test_registered_classes_are_documented():
    for registry_name in EXPECTED:
        registry = getattr(mmdet_registry, registry_name)
        for name in _ours(registry):
            assert inspect.getdoc(registry.module_dict[name]), name
