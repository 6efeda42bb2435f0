"""Install script for the ``ultrasam`` package.

mmcv 2.1.0 has no wheel for current torch: install it first with
``tools/misc/install_mmcv.sh`` (``make install`` does), then ``pip install -e .``.
"""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def parse_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt``.

    Comments are dropped and ``-r other.txt`` lines are followed.
    """
    requirements = []
    for line in (HERE / 'requirements' / name).read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        include = re.match(r'-r\s+(\S+)', line)
        if include:
            requirements += parse_requirements(include.group(1))
        else:
            requirements.append(line)
    return requirements


version = {}
exec((HERE / 'ultrasam' / 'version.py').read_text(), version)

setup(
    name='ultrasam',
    version=version['__version__'],
    description='UltraSam: promptable segmentation foundation models for '
    'ultrasound, as an MMDetection / MMEngine extension',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['ultrasam', 'ultrasam.*']),
    # ultrasam/.mim links configs/ and tools/ so that `mim train ultrasam ...` and
    # `ultrasam::` config bases find them.
    # apis/web_static: the web demo's page, served from the installed package.
    package_data={'ultrasam': ['.mim/configs/**/*.py', '.mim/tools/**/*',
                               'apis/web_static/*']},
    # A range, not requirements/torch.txt's exact pair: `pip install .` must keep
    # a user's own (e.g. CUDA) torch and the mmcv compiled against it.
    # >= 2.4: scaled_dot_product_attention and add_safe_globals; developed on 2.14.
    install_requires=(['torch>=2.4', 'torchvision'] +
                      parse_requirements('mmcv.txt') +
                      parse_requirements('runtime.txt')),
    extras_require={
        'tests': parse_requirements('tests.txt'),
        'optional': parse_requirements('optional.txt'),
        'demo': parse_requirements('demo.txt'),
        'build': parse_requirements('build.txt'),
    },
    zip_safe=False,
)
