"""Build the label files of the ultrasound classification datasets.

Examples::

    # what is expected, where to get it, what is found under RAW
    python tools/dataset_converters/build_classification.py --raw-root RAW --list
    # the three datasets of the UltraSam / USF-MAE papers
    python tools/dataset_converters/build_classification.py --raw-root RAW \\
        --out data/classification --datasets BUS-BRA MMOTU-2D GIST514-DB

Each dataset is read from RAW/<NAME>/ (archives as downloaded or extracted)
and written to OUT/<slug>/: images/ and annotations/{train,val,test}.txt
("<path> <label>"), the files the configs under
configs/downstream/classification/<slug>/ read, plus manifest.json (classes,
per-split and per-class counts, skipped files by reason, unverified facts).
Splits are seeded and by group (patient, video; the image only when nothing
better is known) and honour the official splits. A missing dataset is
reported by name and the others are built; an identical earlier build is
reused; a different one is never overwritten.
"""
import argparse
import sys
from typing import List, Optional, Sequence

from ultrasam.datasets.classification.builders import (DEFAULT_RATIOS,
                                                       BuildError, all_specs,
                                                       build_dataset,
                                                       get_spec, locate)

PROG = 'build_classification.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n\n'.join(__doc__.split('\n\n')[1:]))
    parser.add_argument('--raw-root', required=True,
                        help='folder with one sub-folder per dataset')
    parser.add_argument('--out',
                        help='output root (e.g. data/classification)')
    parser.add_argument('--datasets', nargs='+', metavar='NAME',
                        help='build only these (names or slugs, see --list)')
    parser.add_argument('--seed', type=int, default=0, help='split seed')
    parser.add_argument(
        '--ratios', type=float, nargs=3, metavar=('TRAIN', 'VAL', 'TEST'),
        default=DEFAULT_RATIOS,
        help='group split ratios where no official split decides '
        f'(default {" ".join(map(str, DEFAULT_RATIOS))})')
    parser.add_argument('--list', action='store_true',
                        help='list the datasets and their status, then exit')
    return parser.parse_args(argv)


def selected(names: Optional[Sequence[str]]) -> List:
    if not names:
        return all_specs()
    specs = []
    for name in names:
        try:
            specs.append(get_spec(name))
        except KeyError:
            known = ', '.join(spec.name for spec in all_specs())
            sys.exit(f'{PROG}: error: --datasets: unknown dataset {name!r} '
                     f'(known: {known})')
    return list(dict.fromkeys(specs))


def list_datasets(raw_root: str, specs: Sequence) -> None:
    for spec in specs:
        found = locate(raw_root, spec)
        print(f'{spec.name} -> {spec.slug}/ ({spec.anatomy}, '
              f'{len(spec.classes)} classes: {", ".join(spec.classes)}): '
              f'{"found" if found else "NOT FOUND"} in {raw_root}/{spec.name}')
        print(f'    download: {spec.url}: {spec.download}')
        print(f'    licence: {spec.licence}')
        print(f'    groups: {spec.groups}; official split: '
              f'{spec.official_split}')
        for fact in spec.unverified:
            print(f'    unverified: {fact}')
        for note in spec.notes:
            print(f'    note: {note}')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    specs = selected(args.datasets)
    if args.list:
        list_datasets(args.raw_root, specs)
        return
    if not args.out:
        sys.exit(f'{PROG}: error: --out is required (or --list)')
    if any(r < 0 for r in args.ratios) or args.ratios[0] <= 0:
        sys.exit(f'{PROG}: error: --ratios {args.ratios}: non-negative, with '
                 'a positive train ratio')
    if args.seed < 0:
        sys.exit(f'{PROG}: error: --seed {args.seed}: must be non-negative')
    failed = []
    for spec in specs:
        try:
            build_dataset(spec, args.raw_root, args.out, args.seed,
                          tuple(args.ratios))
        except BuildError as error:
            print(f'{PROG}: {error}', file=sys.stderr)
            failed.append(spec.name)
    if failed:
        sys.exit(f'{PROG}: error: not built: {", ".join(failed)} (see above)')


if __name__ == '__main__':
    main()
