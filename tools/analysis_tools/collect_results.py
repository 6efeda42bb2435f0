"""Collect the test results of work dirs into a Markdown table.

Every ``tools/test.py`` run of a classification or segmentation config appends
a line to ``<work_dir>/results.csv`` (ClassificationResultsHook /
SegmentationResultsHook). This tool reads those files and prints the paper's
table: one column per dataset, one row per initialisation and tuning method
(classification) or per model and initialisation (segmentation), the latest
test of each cell. ``--metric`` picks the task: a classification metric reads
the classification results, a segmentation metric the segmentation ones::

    python tools/analysis_tools/collect_results.py work_dirs/*_busbra \\
        work_dirs/*_mmotu2d --metric macro_f1 --out results.md
    python tools/analysis_tools/collect_results.py work_dirs/mask* \\
        --metric mDice
"""
import argparse
import csv
import os.path as osp
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from ultrasam.engine.hooks.classification_results_hook import CSV_FIELDS
from ultrasam.engine.hooks.results_csv import RESULTS_CSV
from ultrasam.engine.hooks.segmentation_results_hook import SEG_CSV_FIELDS

PROG = 'collect_results.py'


class Task(NamedTuple):
    """What a results.csv of one task holds and how its table is laid out."""
    name: str
    fields: Tuple[str, ...]
    row_keys: Tuple[str, str]
    row_titles: Tuple[str, str]
    metrics: Dict[str, str]  # metric -> unit


TASKS = (
    Task('classification', CSV_FIELDS, ('init', 'tuning'),
         ('initialisation', 'tuning'),
         dict(macro_f1='%', accuracy='%', macro_precision='%',
              macro_recall='%', auroc='0..1')),
    Task('segmentation', SEG_CSV_FIELDS, ('model', 'init'),
         ('model', 'initialisation'),
         dict(mDice='%', mIoU='%', segm_mAP='0..1')),
)
METRICS = {metric: task for task in TASKS for metric in task.metrics}
Cell = Tuple[str, str, str]


def read_results(work_dirs: Sequence[str],
                 task: Task) -> Tuple[List[dict], List[str]]:
    """The rows of every ``results.csv`` of ``task``, and one problem line per
    work dir without a usable one."""
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
            header = tuple(reader.fieldnames or ())
            if header != task.fields:
                other = [t.name for t in TASKS if t.fields == header]
                problems.append(
                    f'{path}: holds {other[0]} results, not {task.name} ones'
                    if other else
                    f'{path}: header {list(header)} is not '
                    f'{list(task.fields)}')
                continue
            rows.extend(reader)
    return rows, problems


def latest_cells(rows: List[dict], metric: str,
                 row_keys: Tuple[str, str]) -> Dict[Cell, str]:
    """``(row key 1, row key 2, dataset) -> value`` of the latest test per
    cell."""
    cells: Dict[Cell, Tuple[str, str]] = {}
    for row in rows:
        cell = (row[row_keys[0]], row[row_keys[1]], row['dataset'])
        if cell not in cells or row['timestamp'] >= cells[cell][0]:
            cells[cell] = (row['timestamp'], row[metric])
    return {cell: value for cell, (_, value) in cells.items()}


def markdown_table(cells: Dict[Cell, str], metric: str, task: Task) -> str:
    """Rows: the task's two row keys (first-seen order); columns: datasets."""
    methods = list(dict.fromkeys((first, second)
                                 for first, second, _ in cells))
    datasets = list(dict.fromkeys(dataset for _, _, dataset in cells))
    lines = [
        f'| {task.row_titles[0]} | {task.row_titles[1]} | ' +
        ' | '.join(datasets) + ' |',
        '|---|---|' + '---:|' * len(datasets),
    ]
    for first, second in methods:
        values = [cells.get((first, second, dataset)) or '-'
                  for dataset in datasets]
        lines.append(f'| {first} | {second} | ' + ' | '.join(values) + ' |')
    return (f'{metric} ({task.metrics[metric]}), latest test per cell\n\n' +
            '\n'.join(lines) + '\n')


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR')
    parser.add_argument(
        '--metric', choices=list(METRICS), default='macro_f1',
        help='classification: ' + ', '.join(TASKS[0].metrics) +
        '; segmentation: ' + ', '.join(TASKS[1].metrics) +
        ' (default macro_f1)')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument('--force', action='store_true',
                        help='overwrite an existing --out file')
    args = parser.parse_args(argv)
    if args.out and osp.exists(args.out) and not args.force:
        sys.exit(f'{PROG}: error: --out {args.out} exists; pass --force to '
                 'overwrite it')
    task = METRICS[args.metric]
    rows, problems = read_results(args.work_dirs, task)
    for problem in problems:
        print(f'{PROG}: warning: {problem}', file=sys.stderr)
    if not rows:
        sys.exit(f'{PROG}: error: no {task.name} results in '
                 f'{", ".join(args.work_dirs)}')
    table = markdown_table(
        latest_cells(rows, args.metric, task.row_keys), args.metric, task)
    print(table, end='')
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as file:
            file.write(table)


if __name__ == '__main__':
    main()
