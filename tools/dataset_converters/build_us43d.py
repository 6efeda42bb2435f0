"""Build the US-43d pretraining corpus from the downloaded public datasets.

Examples::

    # what is expected, where to get it, what is found under RAW
    python tools/dataset_converters/build_us43d.py --raw-root RAW --list
    # everything found under RAW (RAW/<NAME>/ per dataset) into data/us43d
    python tools/dataset_converters/build_us43d.py --raw-root RAW \\
        --out data/us43d --workers 8
    # leave-one-out training set, and the zero-shot test root of BUS-BRA
    python tools/dataset_converters/build_us43d.py --raw-root RAW \\
        --out data/us43d_no_busbra --exclude BUS-BRA
    python tools/dataset_converters/build_us43d.py --raw-root RAW \\
        --out data/zero_shot/busbra --datasets BUS-BRA

Missing datasets are reported by name and the others are built; a rerun
resumes (finished datasets are reused) and never mixes inputs, settings or
spec versions in one output folder.
"""
import argparse
import os.path as osp
import sys

from ultrasam.datasets.us43d import (DEFAULT_MIN_AREA, DEFAULT_RATIOS,
                                     ORIGINAL_RATIOS, BuildError,
                                     BuildSettings, Builder, all_specs,
                                     get_spec, locate)
from ultrasam.datasets.us43d.rawfs import dataset_files

PROG = 'build_us43d.py'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n\n'.join(__doc__.split('\n\n')[1:]))
    parser.add_argument('--raw-root', required=True,
                        help='folder with one sub-folder per dataset')
    parser.add_argument('--out', help='output folder (e.g. data/us43d)')
    parser.add_argument('--datasets', nargs='+', metavar='NAME',
                        help='build only these (canonical names, see --list)')
    parser.add_argument('--exclude', nargs='+', metavar='NAME', default=[],
                        help='leave these out (leave-one-out studies)')
    parser.add_argument('--seed', type=int, default=0, help='split seed')
    parser.add_argument(
        '--ratios', type=float, nargs=3, metavar=('TRAIN', 'VAL', 'TEST'),
        help=f'group split ratios (default {" ".join(map(str, DEFAULT_RATIOS))}'
        f'; --recipe original: {" ".join(map(str, ORIGINAL_RATIOS))})')
    parser.add_argument(
        '--recipe', choices=('default', 'original'), default='default',
        help='original: 95/5 train/val per dataset and only the official '
        'test sets of BUS-BRA, GIST514-DB and MMOTU-2D (seeded, by group)')
    parser.add_argument(
        '--min-area', type=int, default=DEFAULT_MIN_AREA,
        help='remove instances smaller than this many pixels ("noSmall"; '
        f'default {DEFAULT_MIN_AREA}, 0 keeps all)')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes converting samples')
    parser.add_argument('--list', action='store_true',
                        help='list the datasets and their status, then exit')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bars (logs)')
    return parser.parse_args(argv)


def _names(names, option: str):
    resolved = []
    for name in names:
        try:
            resolved.append(get_spec(name).name)
        except KeyError:
            known = ', '.join(s.name for s in all_specs())
            sys.exit(f'{PROG}: error: {option}: unknown dataset {name!r} '
                     f'(known: {known})')
    return resolved


def list_datasets(raw_root: str) -> None:
    """Print every dataset: status under RAW, download, licence, layout."""
    specs = all_specs()
    for spec in specs:
        folder = locate(raw_root, spec)
        if folder is None:
            status = f'missing (expected {osp.join(raw_root, spec.name)}/)'
        else:
            count = len(dataset_files(raw_root, folder))
            status = f'found {osp.join(raw_root, folder)}/ ({count} file(s))'
        print(f'{spec.name} [{spec.anatomy}]: {status}')
        print(f'    download: {spec.url}')
        print(f'    licence:  {spec.licence}')
        print(f'    put under RAW/{spec.name}/: {spec.download}')
        print('    files:    ' + '; '.join(spec.layout.expected()))
        for note in spec.unverified:
            print(f'    unverified: {note}')
    found = sum(locate(raw_root, s) is not None for s in specs)
    print(f'{len(specs)} datasets, {found} found under {raw_root}')


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.list:
        list_datasets(args.raw_root)
        return
    if not args.out:
        sys.exit(f'{PROG}: error: --out is required (or use --list)')
    chosen = set(_names(args.datasets, '--datasets')
                 if args.datasets else [s.name for s in all_specs()])
    chosen -= set(_names(args.exclude, '--exclude'))
    # In spec order: the selection is part of the build's settings.
    selected = [s.name for s in all_specs() if s.name in chosen]
    if not selected:
        sys.exit(f'{PROG}: error: no dataset left to build')
    ratios = args.ratios or (ORIGINAL_RATIOS if args.recipe == 'original'
                             else DEFAULT_RATIOS)
    if min(ratios) < 0 or ratios[0] <= 0:
        sys.exit(f'{PROG}: error: --ratios must be >= 0 with a positive '
                 f'train ratio, got {ratios}')
    if args.min_area < 0:
        sys.exit(f'{PROG}: error: --min-area must be >= 0')
    if args.workers < 1:
        sys.exit(f'{PROG}: error: --workers must be >= 1')
    settings = BuildSettings(datasets=tuple(selected),
                             seed=args.seed,
                             ratios=tuple(ratios),
                             recipe=args.recipe,
                             min_area=args.min_area)
    builder = Builder(args.raw_root, args.out, settings, args.workers,
                      progress=not args.no_progress)
    try:
        manifest = builder.run()
    except BuildError as err:
        sys.exit(f'{PROG}: error: {err}')
    built = sum(d['status'] == 'built' for d in manifest['datasets'].values())
    print(f'built {built} of {len(selected)} datasets into {args.out} '
          f'(report: {osp.join(args.out, "manifest.json")})')


if __name__ == '__main__':
    main()
