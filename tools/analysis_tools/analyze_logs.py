"""Plot the curves of MMEngine training logs and measure their training speed.

A log is the scalar file MMEngine's ``LoggerHook`` writes next to a run:
``<work_dir>/<timestamp>/vis_data/<timestamp>.json`` (or ``scalars.json``, the
same lines), one JSON object per line. Training lines carry ``iter`` (the
losses, ``lr``, ``time``...), validation lines the metrics without ``iter``;
every line has its ``step``. A work dir or a timestamp dir stands for the log
of its newest run. Examples::

    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/demo/train --keys loss loss_focal loss_dice --out loss.png
    python tools/analysis_tools/analyze_logs.py plot_curve RUN_A RUN_B \\
        --keys prompt_seg/dice --legend baseline lora --out dice.png
    python tools/analysis_tools/analyze_logs.py cal_train_time \\
        work_dirs/demo/train

Curves are drawn against the iteration: training values at their ``step``,
validation metrics at theirs, which is the iteration because the package
runtime sets ``LoggerHook(log_metric_by_epoch=False)``. A log whose validation
steps count epochs (MMEngine's default) is refused for validation keys rather
than drawn at the wrong place.

``cal_train_time`` summarises the ``time`` of the training records (MMEngine's
mean wall time per iteration over ``log_processor.window_size`` iterations,
which the configs set to the logging interval). Its estimate is the average
times the last logged iteration: the time of iterations 1 to N, also for the
log of a resumed run.
"""
import argparse
import json
import math
import os
import os.path as osp
import statistics
import sys
from pathlib import Path
from typing import List, NamedTuple, NoReturn, Optional, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ultrasam.apis.cli_support import same_file

PROG = 'analyze_logs.py'
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.pdf', '.svg')
FIGURE_INCHES = (8.0, 5.0)
FIGURE_DPI = 100


class Series(NamedTuple):
    """One key of one log: the steps and values of its records."""
    steps: List[int]
    values: List[float]


class TrainLog(NamedTuple):
    """The records of one scalar log file, split into training (with
    ``iter``) and validation ones; ``val_after`` holds the step of the
    training record before each validation one (0 for none)."""
    path: str
    train: List[dict]
    val: List[dict]
    val_after: List[int]


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def find_log(path: str) -> str:
    """``path`` itself if it is a file, else the scalar log of the newest run
    (timestamp dirs sort by name) under a work dir or a timestamp dir."""
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        fail(f'log not found: {path}')
    root = Path(path)
    runs = sorted({p.parent.parent
                   for p in [*root.glob('vis_data/*.json'),
                             *root.glob('*/vis_data/*.json')]},
                  key=lambda run: run.name)
    if not runs:
        fail(f'{path}: no vis_data/*.json scalar log in it or in its run '
             'dirs (<work_dir>/<timestamp>/vis_data/<timestamp>.json)')
    run = runs[-1]
    chosen = run / 'vis_data' / f'{run.name}.json'
    if not chosen.is_file():
        chosen = run / 'vis_data' / 'scalars.json'
    if not chosen.is_file():
        chosen = sorted((run / 'vis_data').glob('*.json'))[0]
    print(f'{path}: using {chosen} (newest run)')
    return str(chosen)


def read_log(path: str) -> TrainLog:
    """All records of a scalar log; one error line for an unreadable file, a
    line that is no JSON object or has no ``step``, or no record at all."""
    try:
        with open(path, encoding='utf-8') as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        fail(f'cannot read log {path}: {err}')
    log = TrainLog(path, [], [], [])
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            fail(f'{path} line {line_number} is not JSON: {err.msg} at '
                 f'column {err.colno}')
        if not isinstance(record, dict):
            fail(f'{path} line {line_number} is not a JSON object: '
                 f'{line[:80]}')
        if not isinstance(record.get('step'), int):
            fail(f'{path} line {line_number} has no integer "step": '
                 f'{line[:80]}')
        if 'iter' in record:
            log.train.append(record)
        else:
            log.val.append(record)
            log.val_after.append(log.train[-1]['step'] if log.train else 0)
    if not log.train and not log.val:
        fail(f'{path} is empty (no records)')
    return log


def number(log: TrainLog, record: dict, key: str) -> float:
    """``record[key]`` as a float; an error line if it is no number."""
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f'{log.path}: "{key}" at step {record["step"]} is not a '
             f'number: {value!r}')
    return float(value)


def series(log: TrainLog, key: str, records: List[dict]) -> Series:
    """The steps and values of ``key`` in ``records`` that have it."""
    having = [r for r in records if key in r]
    return Series([r['step'] for r in having],
                  [number(log, r, key) for r in having])


def check_val_steps(log: TrainLog) -> None:
    """An error line if the validation steps count epochs (MMEngine's
    default), not iterations: validation logged by iteration is never at a
    step before the training record logged above it."""
    for record, after in zip(log.val, log.val_after):
        if record['step'] < after:
            fail(f'{log.path}: a validation record at step {record["step"]} '
                 f'follows training iteration {after}: its steps count '
                 'epochs; train with default_hooks.logger.'
                 'log_metric_by_epoch=False to plot it against iterations')


def draw_curves(args: argparse.Namespace, logs: List[TrainLog]) -> Figure:
    """One curve per log and key, against the iteration; a key that
    validation records have too gets a second, ``(val)`` curve."""
    figure = Figure(figsize=FIGURE_INCHES, dpi=FIGURE_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for log, log_names in zip(logs, curve_names(args, logs)):
        for key, name in zip(args.keys, log_names):
            train = series(log, key, log.train)
            val = series(log, key, log.val)
            if not train.steps and not val.steps:
                keys = sorted({k for r in log.train + log.val for k in r} -
                              {'step'})
                fail(f'key "{key}" is not in {log.path}; its keys: '
                     f'{", ".join(keys)}')
            if train.steps:
                axes.plot(train.steps, train.values, label=name, linewidth=1)
            if val.steps:
                check_val_steps(log)
                axes.plot(val.steps, val.values, marker='o', markersize=4,
                          label=f'{name} (val)' if train.steps else name)
    axes.set_xlabel('iteration')
    axes.set_ylabel(args.keys[0] if len(args.keys) == 1 else 'value')
    if args.title:
        axes.set_title(args.title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure


def plot_curve(args: argparse.Namespace, logs: List[TrainLog]) -> None:
    """Write the curves of ``logs`` to ``args.out``."""
    figure = draw_curves(args, logs)
    out_dir = osp.dirname(args.out)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    figure.savefig(args.out)
    print(f'wrote {args.out}')


def curve_names(args: argparse.Namespace,
                logs: List[TrainLog]) -> List[List[str]]:
    """Legend entry of each (log, key): ``--legend`` (one per pair, logs
    outer), else the key, prefixed with the run when there are several
    logs."""
    if args.legend:
        if len(args.legend) != len(logs) * len(args.keys):
            fail(f'--legend has {len(args.legend)} entries; {len(logs)} '
                 f'log(s) x {len(args.keys)} key(s) need '
                 f'{len(logs) * len(args.keys)} (logs outer, keys inner)')
        width = len(args.keys)
        return [args.legend[i * width:(i + 1) * width]
                for i in range(len(logs))]
    if len(logs) == 1:
        return [list(args.keys)]
    runs = run_names([log.path for log in logs])
    return [[f'{run} {key}' for key in args.keys] for run in runs]


def run_names(paths: List[str]) -> List[str]:
    """Short distinct names of logs: the work dir of each
    ``<work_dir>/<timestamp>/vis_data/*.json`` log, else
    ``<work_dir>/<timestamp>`` if work dirs repeat, else the paths."""
    resolved = [Path(path).resolve() for path in paths]
    if all(p.parent.name == 'vis_data' and len(p.parts) > 4
           for p in resolved):
        for names in ([p.parts[-4] for p in resolved],
                      [f'{p.parts[-4]}/{p.parts[-3]}' for p in resolved]):
            if len(set(names)) == len(names):
                return names
    return list(paths)


def cal_train_time(args: argparse.Namespace, logs: List[TrainLog]) -> None:
    """Print the seconds per iteration of each log's training records."""
    for log in logs:
        records = [r for r in log.train if 'time' in r]
        if not records:
            fail(f'{log.path}: no training record with "time" (training '
                 'records are the lines with "iter")')
        first_iter = records[0]['iter']
        if not args.include_outliers:
            if len(records) == 1:
                fail(f'{log.path}: only one training record, the warm-up '
                     'one; pass --include-outliers to use it')
            records = records[1:]
        times = [number(log, r, 'time') for r in records]
        if not all(map(math.isfinite, times)):
            fail(f'{log.path}: a "time" value is not finite')
        mean = statistics.fmean(times)
        slowest = max(range(len(times)), key=times.__getitem__)
        fastest = min(range(len(times)), key=times.__getitem__)
        last_iter = log.train[-1]['iter']
        total = mean * last_iter
        print(f'-----Analyze train time of {log.path}-----')
        print(f'records: {len(times)} with "time", iterations '
              f'{records[0]["iter"]}-{records[-1]["iter"]}' +
              ('' if args.include_outliers else
               f' (first record, iteration {first_iter}, '
               'excluded as warm-up)'))
        print(f'slowest interval: iteration {records[slowest]["iter"]}, '
              f'{times[slowest]:.4f} s/iter')
        print(f'fastest interval: iteration {records[fastest]["iter"]}, '
              f'{times[fastest]:.4f} s/iter')
        print(f'time std over records: {statistics.pstdev(times):.4f} s/iter')
        print(f'average iter time: {mean:.4f} s/iter')
        print(f'estimated time of iterations 1-{last_iter}: '
              f'{format_duration(total)} ({total:.1f} s)')


def format_duration(seconds: float) -> str:
    """``1 h 02 min 03 s`` / ``2 min 03 s`` / ``3 s``."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f'{hours} h {minutes:02d} min {secs:02d} s'
    if minutes:
        return f'{minutes} min {secs:02d} s'
    return f'{secs} s'


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n\n')[0])
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='{plot_curve,cal_train_time}')
    plot = commands.add_parser(
        'plot_curve', help='plot keys of logs against the iteration')
    timing = commands.add_parser(
        'cal_train_time', help='seconds per iteration of logs')
    for command in (plot, timing):
        command.add_argument(
            'logs', nargs='+', metavar='LOG',
            help='scalar json log, or a work dir / timestamp dir (its newest '
            'run)')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='keys to plot (default loss)')
    plot.add_argument('--legend', nargs='+',
                      help='one entry per log and key, logs outer')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--out', required=True,
                      help='figure file (' + ', '.join(IMAGE_SUFFIXES) + ')')
    plot.add_argument('--force', action='store_true',
                      help='overwrite an existing --out file')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first (warm-up) record')
    args = parser.parse_args(argv)
    if args.command == 'plot_curve':
        if not args.out.lower().endswith(IMAGE_SUFFIXES):
            fail(f'--out {args.out} must end in one of '
                 f'{", ".join(IMAGE_SUFFIXES)}')
        if osp.isdir(args.out):
            fail(f'--out {args.out} is a directory')
        if osp.exists(args.out) and not args.force:
            fail(f'--out {args.out} exists; pass --force to overwrite it')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    paths = [find_log(path) for path in args.logs]
    if args.command == 'plot_curve':
        for path in paths:
            if same_file(path, args.out):
                fail(f'--out {args.out} is the input log {path}')
    logs = [read_log(path) for path in paths]
    if args.command == 'plot_curve':
        plot_curve(args, logs)
    else:
        cal_train_time(args, logs)


if __name__ == '__main__':
    main()
