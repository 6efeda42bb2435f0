"""tools/analysis_tools/analyze_logs.py plots MMEngine scalar logs and measures
their seconds per iteration."""
import json
import statistics
from pathlib import Path
from typing import List

import cv2
import pytest

TOOL = 'tools/analysis_tools/analyze_logs.py'
# Seconds per iteration of the hand-made training records (every 10
# iterations); the first one is the warm-up.
TIMES = [2.5, 0.5, 0.75, 0.25, 1.0]
ITERATION_STEP = 10


def train_records(times: List[float], loss_scale: float = 1.0) -> List[dict]:
    """Training lines as MMEngine's LoggerHook writes them."""
    return [
        dict(lr=1e-4, data_time=0.01, grad_norm=1.0,
             loss=loss_scale * 3 / (i + 1), loss_focal=loss_scale / (i + 1),
             loss_dice=loss_scale * 2 / (i + 1), time=time,
             iter=(i + 1) * ITERATION_STEP, step=(i + 1) * ITERATION_STEP)
        for i, time in enumerate(times)
    ]


def write_log(path: Path, records: List[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


def run_log(work_dir: Path, timestamp: str, loss_scale: float = 1.0) -> Path:
    """``<work_dir>/<timestamp>/vis_data/scalars.json`` of a run validated at
    iteration 30 (after the 30th training iteration) and at the end."""
    records = train_records(TIMES, loss_scale)
    val = dict(data_time=0.2, time=0.3)
    records.insert(3, dict(val, **{'prompt_seg/dice': 0.5, 'step': 30}))
    records.append(dict(val, **{'prompt_seg/dice': 0.75, 'step': 50}))
    return write_log(work_dir / timestamp / 'vis_data' / 'scalars.json',
                     records)


@pytest.fixture
def tool(load_script):
    return load_script(TOOL)


def error_of(tool, argv: List[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        tool.main(argv)
    message = str(exit_info.value.code)
    assert message.startswith('analyze_logs.py: error: ')
    assert '\n' not in message
    return message


def image_size(path: Path) -> tuple:
    image = cv2.imread(str(path))
    assert image is not None, f'{path} is no readable image'
    return image.shape


def curves(tool, argv: List[str]) -> dict:
    """``label -> (steps, values)`` of the lines ``plot_curve argv`` draws."""
    args = tool.parse_args(['plot_curve'] + argv)
    logs = [tool.read_log(tool.find_log(path)) for path in args.logs]
    axes = tool.draw_curves(args, logs).axes[0]
    return {line.get_label(): (list(line.get_xdata()),
                               list(line.get_ydata()))
            for line in axes.get_lines()}


def test_plot_curve_two_logs_two_keys(tool, tmp_path, capsys):
    first = run_log(tmp_path / 'run_a', '20261207_100000')
    second = run_log(tmp_path / 'run_b', '20261207_110000', loss_scale=2)
    out = tmp_path / 'figs' / 'loss.png'
    argv = [str(first), str(second), '--keys', 'loss', 'loss_dice',
            '--title', 'two runs', '--out', str(out)]
    tool.main(['plot_curve'] + argv)
    assert image_size(out) == (500, 800, 3)
    assert f'wrote {out}' in capsys.readouterr().out
    drawn = curves(tool, argv[:-1] + [str(tmp_path / 'unused.png')])
    iters = [(i + 1) * ITERATION_STEP for i in range(len(TIMES))]
    expected = {}
    for run, scale in (('run_a', 1), ('run_b', 2)):
        for key in ('loss', 'loss_dice'):
            values = [r[key] for r in train_records(TIMES, scale)]
            expected[f'{run} {key}'] = (iters, values)
    assert drawn == expected


def test_plot_curve_validation_key_at_its_iterations(tool, tmp_path):
    run_log(tmp_path / 'run', '20261207_100000')
    drawn = curves(tool, [str(tmp_path / 'run'), '--keys', 'prompt_seg/dice',
                          'time', '--legend', 'dice', 'seconds', '--out',
                          str(tmp_path / 'dice.svg')])
    iters = [(i + 1) * ITERATION_STEP for i in range(len(TIMES))]
    # "time" is in training and validation records: two curves, not mixed.
    assert drawn == {
        'dice': ([30, 50], [0.5, 0.75]),
        'seconds': (iters, TIMES),
        'seconds (val)': ([30, 50], [0.3, 0.3]),
    }
    out = tmp_path / 'dice.svg'
    tool.main(['plot_curve', str(tmp_path / 'run'), '--keys',
               'prompt_seg/dice', '--out', str(out)])
    assert out.read_text().lstrip().startswith('<?xml')


def test_plot_curve_legend_count_and_epoch_steps_refused(tool, tmp_path):
    log = run_log(tmp_path / 'run', '20261207_100000')
    out = tmp_path / 'fig.png'
    message = error_of(tool, ['plot_curve', str(log), '--keys', 'loss',
                              'loss_dice', '--legend', 'a', '--out',
                              str(out)])
    assert '--legend has 1 entries' in message and 'need 2' in message
    # MMEngine's default LoggerHook logs validation at the epoch.
    by_epoch = write_log(
        tmp_path / 'epoch.json',
        train_records(TIMES) + [{'prompt_seg/dice': 0.5, 'step': 1}])
    message = error_of(tool, ['plot_curve', str(by_epoch), '--keys',
                              'prompt_seg/dice', '--out', str(out)])
    assert 'step 1 follows training iteration 50' in message
    assert 'log_metric_by_epoch=False' in message
    assert not out.exists()


def test_newest_run_of_a_work_dir_is_chosen(tool, tmp_path, capsys):
    run_log(tmp_path / 'work', '20261207_100000')
    newest = run_log(tmp_path / 'work', '20261207_120000')
    (tmp_path / 'work' / '20261207_110000' / 'vis_data').mkdir(parents=True)
    assert tool.find_log(str(tmp_path / 'work')) == str(newest)
    assert f'using {newest} (newest run)' in capsys.readouterr().out
    assert tool.find_log(str(newest.parent.parent)) == str(newest)
    message = error_of(tool, ['cal_train_time', str(tmp_path / 'work' /
                                                     '20261207_110000')])
    assert 'no vis_data/*.json scalar log' in message


@pytest.mark.parametrize('include_outliers', [False, True])
def test_cal_train_time_numbers(tool, tmp_path, capsys, include_outliers):
    log = run_log(tmp_path / 'run', '20261207_100000')
    tool.main(['cal_train_time', str(log)] +
              (['--include-outliers'] if include_outliers else []))
    used = TIMES if include_outliers else TIMES[1:]
    iters = [(i + 1) * ITERATION_STEP for i in range(len(TIMES))]
    used_iters = iters if include_outliers else iters[1:]
    mean = statistics.fmean(used)
    slowest = used_iters[used.index(max(used))]
    fastest = used_iters[used.index(min(used))]
    total = mean * iters[-1]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f'-----Analyze train time of {log}-----'
    assert lines[1].startswith(
        f'records: {len(used)} with "time", iterations '
        f'{used_iters[0]}-{iters[-1]}')
    assert ('excluded as warm-up' in lines[1]) is not include_outliers
    assert lines[2:] == [
        f'slowest interval: iteration {slowest}, {max(used):.4f} s/iter',
        f'fastest interval: iteration {fastest}, {min(used):.4f} s/iter',
        f'time std over records: {statistics.pstdev(used):.4f} s/iter',
        f'average iter time: {mean:.4f} s/iter',
        f'estimated time of iterations 1-{iters[-1]}: '
        f'{int(round(total))} s ({total:.1f} s)',
    ]


def test_format_duration(tool):
    assert tool.format_duration(2191.04) == '36 min 31 s'
    assert tool.format_duration(3723) == '1 h 02 min 03 s'
    assert tool.format_duration(7.4) == '7 s'


def test_bad_logs_are_one_line_errors(tool, tmp_path, snapshot):
    good = train_records(TIMES)
    logs = {
        'missing': tmp_path / 'absent.json',
        'empty': write_log(tmp_path / 'empty.json', []),
        'not json': tmp_path / 'broken.json',
        'no step': write_log(tmp_path / 'nostep.json', [{'loss': 1.0}]),
        'no training': write_log(tmp_path / 'val.json',
                                 [{'prompt_seg/dice': 0.5, 'step': 10}]),
        'warm-up only': write_log(tmp_path / 'one.json', good[:1]),
        'not a number': write_log(tmp_path / 'str.json',
                                  good[:2] + [dict(good[2], time='fast')]),
    }
    logs['not json'].write_text(json.dumps(good[0]) + '\n{"loss": 1.0,\n')
    expected = {
        'missing': f'log not found: {logs["missing"]}',
        'empty': f'{logs["empty"]} is empty (no records)',
        'not json': f'{logs["not json"]} line 2 is not JSON: Expecting '
                    'property name enclosed in double quotes at column 14',
        'no step': f'{logs["no step"]} line 1 has no integer "step"',
        'no training': f'{logs["no training"]}: no training record with '
                       '"time"',
        'warm-up only': 'only one training record, the warm-up one; pass '
                        '--include-outliers',
        'not a number': '"time" at step 30 is not a number: \'fast\'',
    }
    before = snapshot(tmp_path)
    for case, log in logs.items():
        message = error_of(tool, ['cal_train_time', str(log)])
        assert expected[case] in message, case
    assert snapshot(tmp_path) == before


def test_plot_curve_bad_arguments_write_nothing(tool, tmp_path, snapshot):
    log = run_log(tmp_path / 'run', '20261207_100000')
    existing = tmp_path / 'old.png'
    existing.write_bytes(b'not a figure')
    (tmp_path / 'figs.png').mkdir()
    before = snapshot(tmp_path)
    cases = [
        (['--keys', 'loss_x', '--out', str(tmp_path / 'x.png')],
         f'key "loss_x" is not in {log}; its keys: data_time, grad_norm, '
         'iter, loss, loss_dice, loss_focal, lr, prompt_seg/dice, time'),
        (['--out', str(existing)],
         f'--out {existing} exists; pass --force to overwrite it'),
        (['--out', str(tmp_path / 'fig.txt')],
         f'--out {tmp_path / "fig.txt"} must end in one of .png'),
        (['--out', str(tmp_path / 'figs.png')],
         f'--out {tmp_path / "figs.png"} is a directory'),
    ]
    for extra, expected in cases:
        assert expected in error_of(tool, ['plot_curve', str(log)] + extra)
    assert snapshot(tmp_path) == before
    # A log named like a figure, given as its own --out.
    figure_named = write_log(tmp_path / 'log.png', train_records(TIMES))
    before = snapshot(tmp_path)
    message = error_of(tool, ['plot_curve', str(figure_named), '--out',
                              str(figure_named), '--force'])
    assert message.endswith(f'is the input log {figure_named}')
    assert snapshot(tmp_path) == before
    tool.main(['plot_curve', str(log), '--out', str(existing), '--force'])
    assert image_size(existing) == (500, 800, 3)
