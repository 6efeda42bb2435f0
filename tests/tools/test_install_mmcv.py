"""``tools/misc/install_mmcv.sh`` compiles without debug info and keeps Python's
optimisation flags.

The script runs for real (its cache logic, its C++20 patch, its CFLAGS) through a
``PYTHON`` wrapper that serves a stand-in mmcv 2.1.0 sdist instead of PyPI's and
installs into a temporary directory instead of the test environment. The stand-in
builds its one C++ file through torch's ``BuildExtension`` like mmcv's setup.py,
and that file refuses to compile unless the command line kept ``-O3``/``-DNDEBUG``
and got ``-std=c++20``. Whether ``-g0`` won shows in the built ``_ext`` library.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path
from typing import Dict, Optional

import pytest

MMCV_VERSION = '2.1.0'

SETUP_PY = f'''\
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

setup(
    name='mmcv',
    version='{MMCV_VERSION}',
    packages=['mmcv', 'mmcv.ops'],
    ext_modules=[CppExtension('mmcv._ext', ['ext.cpp'],
                              extra_compile_args={{'cxx': ['-std=c++17']}})],
    cmdclass={{'build_ext': BuildExtension}})
'''

EXT_CPP = '''\
#include <Python.h>

#if __cplusplus < 202002L
#error "compiled without the script's -std=c++20 patch"
#endif
#if !defined(NDEBUG) || !defined(__OPTIMIZE__)
#error "Python's -DNDEBUG -O3 did not reach the compile command"
#endif

static PyModuleDef ext_module = {PyModuleDef_HEAD_INIT, "_ext", nullptr, -1, nullptr};

PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&ext_module); }
'''

OPS_INIT = '''\
from mmcv import _ext  # noqa: F401  the compiled library must load


def nms(boxes, scores, iou_threshold):
    return boxes, scores
'''

# Stands in for PYTHON: pip downloads come from the stand-in sdist, installs go to
# $SITE (which comes first on the wrapped interpreter's path), the build requirements
# are already in the test environment, and any other pip call fails the test.
PYTHON_WRAPPER = '''\
#!/usr/bin/env bash
set -euo pipefail
if [ "${1-}" = -m ] && [ "${2-}" = pip ]; then
    case "${3-}" in
        download)
            while [ $# -gt 0 ]; do
                if [ "$1" = -d ]; then cp "$SDIST" "$2/"; fi
                shift
            done
            exit 0;;
        wheel)
            exec "$REAL_PYTHON" -m pip "${@:3}";;
        install)
            if [ "${4-}" = -q ] && [ "${5-}" = -r ]; then exit 0; fi
            exec "$REAL_PYTHON" -m pip install --target "$SITE" --upgrade "${@:4}";;
    esac
    echo "unexpected pip call: $*" >&2
    exit 1
fi
PYTHONPATH="$SITE" exec "$REAL_PYTHON" "$@"
'''


def _make_sdist(root: Path) -> Path:
    src = root / f'mmcv-{MMCV_VERSION}'
    (src / 'mmcv' / 'ops').mkdir(parents=True)
    (src / 'setup.py').write_text(SETUP_PY)
    (src / 'ext.cpp').write_text(EXT_CPP)
    (src / 'mmcv' / '__init__.py').write_text(
        f'__version__ = {MMCV_VERSION!r}\n')
    (src / 'mmcv' / 'ops' / '__init__.py').write_text(OPS_INIT)
    sdist = root / f'mmcv-{MMCV_VERSION}.tar.gz'
    with tarfile.open(sdist, 'w:gz') as tar:
        tar.add(src, arcname=src.name)
    shutil.rmtree(src)
    return sdist


def _install(repo: Path, tmp_path: Path,
             cflags: Optional[str]) -> subprocess.CompletedProcess:
    """Run install_mmcv.sh with the stand-in sdist; ``cflags`` is the user's CFLAGS
    (None: unset)."""
    site = tmp_path / 'site'
    # an older mmcv is installed: the script must build
    (site / 'mmcv').mkdir(parents=True)
    (site / 'mmcv' / '__init__.py').write_text("__version__ = '0'\n")
    wrapper = tmp_path / 'python'
    wrapper.write_text(PYTHON_WRAPPER)
    wrapper.chmod(0o755)
    env: Dict[str, str] = dict(
        os.environ,
        REAL_PYTHON=sys.executable,
        SITE=str(site),
        SDIST=str(_make_sdist(tmp_path)),
        ULTRASAM_WHEEL_CACHE=str(tmp_path / 'cache'),
        PIP_DISABLE_PIP_VERSION_CHECK='1',
        MAX_JOBS='1')
    env.pop('CFLAGS', None)
    if cflags is not None:
        env['CFLAGS'] = cflags
    return subprocess.run(
        ['bash', str(repo / 'tools' / 'misc' / 'install_mmcv.sh'), str(wrapper)],
        env=env, capture_output=True, text=True, timeout=300)


def _debug_sections(tmp_path: Path) -> list:
    libs = list((tmp_path / 'site' / 'mmcv').glob('_ext*.so'))
    assert len(libs) == 1, libs
    sections = subprocess.run(['readelf', '-S', '--wide', str(libs[0])],
                              capture_output=True, text=True, check=True).stdout
    return [word for word in sections.split() if word.startswith('.debug_')]


@pytest.mark.skipif(shutil.which('readelf') is None or shutil.which('c++') is None,
                    reason='needs a C++ toolchain (binutils readelf, c++)')
def test_install_mmcv_builds_optimised_without_debug_info(
        repo: Path, tmp_path: Path) -> None:
    result = _install(repo, tmp_path, cflags=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'installed mmcv {MMCV_VERSION} built in' in result.stdout
    assert _debug_sections(tmp_path) == []


@pytest.mark.skipif(shutil.which('readelf') is None or shutil.which('c++') is None,
                    reason='needs a C++ toolchain (binutils readelf, c++)')
def test_install_mmcv_keeps_the_users_cflags(repo: Path, tmp_path: Path) -> None:
    # Python's own flags, -g included: the user asks for debug info and gets it
    result = _install(repo, tmp_path, cflags=sysconfig.get_config_var('CFLAGS'))
    assert result.returncode == 0, result.stdout + result.stderr
    assert '.debug_info' in _debug_sections(tmp_path)
