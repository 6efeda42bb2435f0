"""``mim train`` / ``mim test ultrasam CONFIG_NAME`` find our config and tools.

mim locates a codebase as ``<dist location>/<package>/.mim``, which exists for a
regular install but not for a PEP 660 editable one (its dist-info lies in
site-packages, the code in the repository). The test therefore installs the
package the way a user of mim would (not editable, into a temporary prefix put
first on ``PYTHONPATH``) and runs mim from a directory without configs.
"""
import shutil
import subprocess
import sys
from pathlib import Path

# What setup.py packages; ultrasam/.mim links to configs/ and tools/.
SOURCES = ('setup.py', 'README.md', 'requirements', 'ultrasam', 'configs',
           'tools')


def test_mim_train_and_test_run_a_packaged_config(run_tool, tool_env, repo,
                                          phantom_root,
                                          phantom_generator_options, tmp_path):
    # Built from a copy: setuptools writes build/ and *.egg-info into the tree.
    source = tmp_path / 'source'
    source.mkdir()
    for name in SOURCES:
        if (repo / name).is_dir():
            shutil.copytree(repo / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy(repo / name, source / name)
    prefix = tmp_path / 'site'
    run_tool([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
        '--no-build-isolation', '--target', prefix, source
    ])
    packaged = prefix / 'ultrasam' / '.mim' / 'configs' / 'ultrasam'
    assert (packaged / 'ultrasam_vitt_phantom.py').is_file()

    work_dir = tmp_path / 'work'
    mim = Path(sys.executable).with_name('mim')

    def run_mim(*args: str) -> str:
        result = subprocess.run([str(mim), *args],
                                cwd=tmp_path,
                                env=dict(tool_env, PYTHONPATH=str(prefix)),
                                capture_output=True,
                                text=True,
                                timeout=300)
        assert result.returncode == 0, (result.stdout[-3000:] +
                                        result.stderr[-3000:])
        return result.stdout

    out = run_mim('train', 'ultrasam', 'ultrasam_vitt_phantom.py',
                  '--work-dir', str(work_dir), '--cfg-options',
                  f'train_dataloader.dataset.data_root={phantom_root}/',
                  *phantom_generator_options, 'train_cfg.max_iters=2',
                  'default_hooks.checkpoint.interval=2')
    assert 'Training finished successfully' in out
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()

    # The fixture has no test split: evaluate on the training images.
    out = run_mim('test', 'ultrasam', 'ultrasam_vitt_phantom.py',
                  '--checkpoint', str(checkpoint), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options',
                  f'test_dataloader.dataset.data_root={phantom_root}/',
                  *phantom_generator_options,
                  'test_dataloader.dataset.ann_file=annotations/train.json')
    assert 'Testing finished successfully' in out
    assert 'prompt_seg/dice' in out
