"""Print a config as the tools run it: bases merged, ``--cfg-options`` applied.

Example::

    python tools/misc/print_config.py configs/ultrasam/ultrasam_vitb_us43d.py \
        --cfg-options train_cfg.max_iters=100 --save-path work_dirs/merged.py

``--cfg-options`` that set a top-level variable nothing reads at run time (e.g.
``max_iters``) are named in a warning with the keys that are read, as
``tools/train.py`` does. ``--save-path`` writes the merged config (``.py``,
``.json`` or ``.yaml``); an existing file is only replaced with ``--force`` and
the config itself never is.
"""
import argparse
import os.path as osp
import sys
from typing import List, NoReturn, Optional

from mmengine.config import Config, DictAction

from ultrasam.apis.cli_support import same_file
from ultrasam.utils.preflight import unread_override_warnings

PROG = 'print_config.py'
SAVE_SUFFIXES = ('.py', '.json', '.yaml', '.yml')
# What a broken config raises while it is read (syntax, a missing base or
# key of a base, a wrong type in a base reference).
CONFIG_ERRORS = (OSError, SyntaxError, KeyError, TypeError, ValueError,
                 AttributeError, NameError)


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, xxx=yyy format; lists as key="[a,b]"')
    parser.add_argument(
        '--save-path',
        help='also write the merged config to this file (.py, .json, .yaml)')
    parser.add_argument(
        '--force', action='store_true',
        help='replace an existing --save-path file')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    if args.save_path is not None:
        if not args.save_path.endswith(SAVE_SUFFIXES):
            parser.error(f'--save-path {args.save_path} must end in one of '
                         f'{", ".join(SAVE_SUFFIXES)}')
        if osp.isdir(args.save_path):
            parser.error(f'--save-path {args.save_path} is a directory')
        if osp.exists(args.save_path) and same_file(args.save_path,
                                                    args.config):
            parser.error(f'--save-path {args.save_path} is the config '
                         'itself; choose another file')
        if osp.exists(args.save_path) and not args.force:
            parser.error(f'--save-path {args.save_path} exists; pass --force '
                         'to replace it')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        cfg = Config.fromfile(args.config)
    except CONFIG_ERRORS as err:
        reason = ' '.join(f'{type(err).__name__}: {err}'.split())
        fail(f'cannot read the config {args.config}: {reason}')
    if args.cfg_options:
        for warning in unread_override_warnings(cfg, args.cfg_options):
            print(f'{PROG}: warning: {warning}', file=sys.stderr)
        cfg.merge_from_dict(args.cfg_options)
    print(cfg.pretty_text)
    if args.save_path is not None:
        try:
            cfg.dump(args.save_path)
        except OSError as err:
            fail(f'cannot write {args.save_path}: {err}')
        print(f'{PROG}: merged config written to {args.save_path}',
              file=sys.stderr)


if __name__ == '__main__':
    main()
