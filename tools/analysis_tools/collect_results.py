"""Collect the classification results of work dirs into a Markdown table.

Every ``tools/test.py`` run of a classification config appends a line to
``<work_dir>/results.csv`` (ClassificationResultsHook). This tool reads those
files and prints the paper's table: one row per initialisation and tuning
method, one column per dataset, the latest test of each cell::

    python tools/analysis_tools/collect_results.py work_dirs/*_busbra \\
        work_dirs/*_mmotu2d --metric macro_f1 --out results.md
"""
import argparse
import csv
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from ultrasam.engine.hooks.classification_results_hook import (CSV_FIELDS,
                                                               RESULTS_CSV)

PROG = 'collect_results.py'
METRICS = ('macro_f1', 'accuracy', 'macro_precision', 'macro_recall',
           'auroc')
Cell = Tuple[str, str, str]


def read_results(work_dirs: Sequence[str]) -> Tuple[List[dict], List[str]]:
    """The rows of every ``results.csv``, and one problem line per work dir
    without a usable one."""
    rows, problems = [], []
    for work_dir in work_dirs:
        path = osp.join(work_dir, RESULTS_CSV)
        if not osp.isfile(path):
            problems.append(f'{work_dir}: no {RESULTS_CSV} (test a checkpoint '
                            f'with tools/test.py CONFIG CHECKPOINT --work-dir '
                            f'{work_dir})')
            continue
        with open(path, newline='', encoding='utf-8') as file:
            reader = csv.DictReader(file)
            if tuple(reader.fieldnames or ()) != CSV_FIELDS:
                problems.append(f'{path}: header {reader.fieldnames} is not '
                                f'{list(CSV_FIELDS)}')
                continue
            rows.extend(reader)
    return rows, problems


def latest_cells(rows: List[dict], metric: str) -> Dict[Cell, str]:
    """``(init, tuning, dataset) -> value`` of the latest test per cell."""
    cells: Dict[Cell, Tuple[str, str]] = {}
    for row in rows:
        cell = (row['init'], row['tuning'], row['dataset'])
        if cell not in cells or row['timestamp'] >= cells[cell][0]:
            cells[cell] = (row['timestamp'], row[metric])
    return {cell: value for cell, (_, value) in cells.items()}


def markdown_table(cells: Dict[Cell, str], metric: str) -> str:
    """Rows: initialisation / tuning (first-seen order); columns: datasets."""
    methods = list(dict.fromkeys((init, tuning) for init, tuning, _ in cells))
    datasets = list(dict.fromkeys(dataset for _, _, dataset in cells))
    lines = [
        '| initialisation | tuning | ' + ' | '.join(datasets) + ' |',
        '|---|---|' + '---:|' * len(datasets),
    ]
    for init, tuning in methods:
        values = [cells.get((init, tuning, dataset)) or '-'
                  for dataset in datasets]
        lines.append(f'| {init} | {tuning} | ' + ' | '.join(values) + ' |')
    unit = 'AUROC (0..1)' if metric == 'auroc' else f'{metric} (%)'
    return f'{unit}, latest test per cell\n\n' + '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR')
    parser.add_argument('--metric', choices=METRICS, default='macro_f1')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument('--force', action='store_true',
                        help='overwrite an existing --out file')
    args = parser.parse_args(argv)
    if args.out and osp.exists(args.out) and not args.force:
        sys.exit(f'{PROG}: error: --out {args.out} exists; pass --force to '
                 'overwrite it')
    rows, problems = read_results(args.work_dirs)
    for problem in problems:
        print(f'{PROG}: warning: {problem}', file=sys.stderr)
    if not rows:
        sys.exit(f'{PROG}: error: no results in {", ".join(args.work_dirs)}')
    table = markdown_table(latest_cells(rows, args.metric), args.metric)
    print(table, end='')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as file:
            file.write(table)


if __name__ == '__main__':
    main()
