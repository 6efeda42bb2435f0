"""The work dir's results.csv: one line per test run, read by
``tools/analysis_tools/collect_results.py``."""
import csv
import os.path as osp
from typing import Dict, Sequence

from mmengine.runner import Runner

RESULTS_CSV = 'results.csv'


def append_result(runner: Runner, fields: Sequence[str],
                  row: Dict[str, object]) -> None:
    """Append ``row`` to ``<work_dir>/results.csv``, writing the header
    ``fields`` first for a new file. A file with another header (other
    results, or the user's own file) is left alone, with a warning.

    Args:
        runner (Runner): The runner (work dir and logger).
        fields (Sequence[str]): Columns, in order.
        row (dict): Values of the columns.
    """
    path = osp.join(runner.work_dir, RESULTS_CSV)
    if osp.exists(path):
        with open(path, newline='', encoding='utf-8') as file:
            header = next(csv.reader(file), None)
        if tuple(header or ()) != tuple(fields):
            runner.logger.warning(
                f'{path} has another header than {",".join(fields)}; it is '
                'left alone and this run is not added to it')
            return
    new = not osp.exists(path)
    with open(path, 'a', newline='', encoding='utf-8') as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerow(row)
    runner.logger.info(f'results appended to {path}')
