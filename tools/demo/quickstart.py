"""CPU quickstart (``make demo``): phantoms -> train -> point / box evaluation.

1. writes the synthetic B-mode phantom set (or reuses an identical one),
2. trains ``configs/ultrasam/ultrasam_vitt_phantom.py`` with ``tools/train.py``,
3. evaluates the checkpoint with ``tools/test.py`` using one interior point and the
   ground-truth box per instance, drawing overlay PNGs (``--show-dir``),
4. writes ``WORK_DIR/summary.json`` with ``point_dice`` and ``box_dice`` (mean
   per-instance Dice, 0..1) and the other figures of the run.

Example:
    python tools/demo/quickstart.py --work-dir work_dirs/demo
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parents[2]
TRAIN_CONFIG = REPO / 'configs/ultrasam/ultrasam_vitt_phantom.py'
TEST_CONFIGS = dict(
    point=TRAIN_CONFIG,
    box=REPO / 'configs/ultrasam/ultrasam_vitt_phantom_box.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/phantom')
    parser.add_argument('--num-train', type=int, default=300)
    parser.add_argument('--num-test', type=int, default=50)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--max-iters', type=int,
        help='training iterations (default: the config, 1200)')
    return parser.parse_args()


def ensure_phantoms(data_root: Path, num_train: int, num_test: int,
                    seed: int) -> str:
    """Write the phantom set, or reuse one made with the same arguments; exit
    with the reason on anything else in ``data_root`` (never overwritten).

    The configs' SyntheticPhantomDataset does the same on its own; doing it first
    reports a wrong ``--data-root`` before any model is built.

    Returns:
        str: 'generated' or 'reused'.
    """
    from ultrasam.datasets.synthetic import ensure_phantom_coco
    try:
        return ensure_phantom_coco(data_root, num_train, num_test, seed)
    except (OSError, ValueError) as exc:
        raise SystemExit(f'quickstart.py: error: {exc}') from exc


def run(command: List[str]) -> None:
    """Run a tool of this repository, streaming its output."""
    print('+', ' '.join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)


def latest_metrics(test_work_dir: Path) -> Tuple[dict, Path]:
    """Metrics tools/test.py wrote to <work_dir>/<timestamp>/<timestamp>.json,
    and that run's directory."""
    runs = sorted(p for p in test_work_dir.iterdir() if p.is_dir())
    metrics_file = runs[-1] / f'{runs[-1].name}.json'
    if not metrics_file.is_file():
        raise SystemExit(f'tools/test.py wrote no metrics to {metrics_file}')
    return json.loads(metrics_file.read_text()), runs[-1]


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    work_dir = Path(args.work_dir).resolve()
    data_root = Path(args.data_root).resolve()
    phantoms = ensure_phantoms(data_root, args.num_train, args.num_test,
                               args.seed)
    print(f'phantom set {phantoms}: {data_root}', flush=True)

    data_options = [f'randomness.seed={args.seed}']
    for loader in ('train_dataloader', 'test_dataloader'):
        data_options += [
            f'{loader}.dataset.data_root={data_root}/',
            f'{loader}.dataset.generator.num_train={args.num_train}',
            f'{loader}.dataset.generator.num_test={args.num_test}',
            f'{loader}.dataset.generator.seed={args.seed}',
        ]
    train_options = list(data_options)
    if args.max_iters is not None:
        train_options += [
            f'train_cfg.max_iters={args.max_iters}',
            f'param_scheduler.1.end={args.max_iters}',
            f'default_hooks.checkpoint.interval={args.max_iters}',
        ]
    train_start = time.perf_counter()
    run([sys.executable, 'tools/train.py', str(TRAIN_CONFIG),
         '--work-dir', str(work_dir / 'train'), '--cfg-options',
         *train_options])
    train_seconds = time.perf_counter() - train_start
    checkpoint = (work_dir / 'train' / 'last_checkpoint').read_text().strip()

    summary = dict(
        config=str(TRAIN_CONFIG.relative_to(REPO)),
        checkpoint=checkpoint,
        data_root=str(data_root),
        seed=args.seed,
        num_train=args.num_train,
        num_test=args.num_test,
        train_seconds=round(train_seconds, 1))
    for prompt, config in TEST_CONFIGS.items():
        test_dir = work_dir / f'test_{prompt}'
        run([sys.executable, 'tools/test.py', str(config), checkpoint,
             '--work-dir', str(test_dir), '--show-dir', 'overlays',
             '--cfg-options', *data_options])
        metrics, run_dir = latest_metrics(test_dir)
        # DiceIoUMetric reports percentages; the summary uses fractions.
        summary[f'{prompt}_dice'] = round(metrics['prompt_seg/dice'] / 100, 4)
        summary[f'{prompt}_iou'] = round(metrics['prompt_seg/iou'] / 100, 4)
        summary[f'{prompt}_segm_mAP'] = metrics.get('coco/segm_mAP')
        summary[f'{prompt}_overlays'] = str(run_dir / 'overlays')
    summary['total_seconds'] = round(time.perf_counter() - start, 1)

    summary_file = work_dir / 'summary.json'
    summary_file.write_text(json.dumps(summary, indent=2) + '\n')
    print(json.dumps(summary, indent=2))
    print(f'summary written to {summary_file}')


if __name__ == '__main__':
    main()
