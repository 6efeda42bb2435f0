"""Segment an object through a cine loop from a prompt on one frame, and measure it
over time.

INPUT is a multi-frame DICOM file, a video (mp4, avi, ... read by OpenCV) or a folder
of frame images (natural name order). Frame K is segmented from --points / --box, then
every next and previous frame from its neighbour's mask (``ultrasam.apis.propagate``:
mask prompt plus a box and an interior point derived from it); propagation stops in a
direction when the predicted IoU or the mask's stability collapses.

Examples:
    python tools/demo/cine_demo.py loop.dcm CONFIG CKPT --frame 3 --points 120,80 \\
        --out work_dirs/cine
    python tools/demo/cine_demo.py frames/ CONFIG CKPT --box 30,20,90,70 \\
        --pixel-spacing 0.2 --fps 25 --out work_dirs/cine

Writes into --out (created; an existing non-empty folder only with --force, and then
only these names are replaced):

- ``masks/NNNN.png``: the mask of every frame (0 / 255; empty where stopped);
- ``measurements.csv``: per frame its time, status, predicted IoU, stability and the
  measurements of ``ultrasam.evaluation.measure_mask`` (mm when calibrated: DICOM
  ``PixelSpacing`` / ultrasound regions or ``--pixel-spacing``; pixels otherwise);
- ``area.png``: the area over time (seconds when the frame time is known: DICOM
  ``FrameTime`` / ``CineRate``, the video's frame rate or ``--fps``);
- ``overlay.gif``: the frames with mask, calipers and measurements;
- ``summary.json``: input, frame count, calibration (and why any is missing), stop
  reasons and the output paths.

With ``--truth DIR`` (a folder of ground-truth mask images, one per frame in natural
name order, nonzero = object; e.g. the ``masks/`` of
``ultrasam.datasets.synthetic.write_cine_loop``) the CSV also gets the true area and
the Dice of every frame, the plot the true area curve, and the summary the mean Dice.

The output folder is never the input folder or inside it, and no output replaces an
input file. Bad arguments and unreadable inputs are reported before the model is built.
"""
import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import List, NoReturn, Optional, Sequence

import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ultrasam.apis import propagate
from ultrasam.apis.cli_support import (add_device_arguments, check_device,
                                       check_input_files, load_predictor,
                                       parse_box, parse_point, parse_spacing,
                                       prompts_outside,
                                       protect_negative_values, same_file)
from ultrasam.apis.mask_drawing import (blend, distinct_colors,
                                        draw_calipers, mask_layer)
from ultrasam.datasets.cine_io import CineFrames, read_cine
from ultrasam.evaluation import MaskMeasurements, measure_mask
from ultrasam.structures import PixelCalibration

PROG = 'cine_demo.py'
#: Files and folders this tool writes into --out.
OUTPUT_NAMES = ('masks', 'measurements.csv', 'area.png', 'overlay.gif',
                'summary.json')
#: Measurement columns of the CSV (lengths in the unit, areas in unit^2).
MEASURED = ('area', 'perimeter', 'long_axis', 'short_axis', 'ellipse_major',
            'ellipse_minor', 'echo_inside', 'echo_ring', 'contrast_ratio')
#: GIF frame duration when the loop has no frame time (ms).
DEFAULT_GIF_MS = 100


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def parse_fps(text: str) -> float:
    """A positive finite frame rate."""
    try:
        fps = float(text)
    except ValueError:
        fps = math.nan
    if not (math.isfinite(fps) and fps > 0):
        raise argparse.ArgumentTypeError(
            f'--fps {text!r}: expected a positive number of frames per second')
    return fps


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (``sys.argv[1:]`` when None) and check the paths."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n\n')[0])
    parser.add_argument('input', help='multi-frame DICOM, video or folder of '
                        'frames')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--frame', type=int, default=0,
                        help='0-based frame the prompts belong to (default 0)')
    parser.add_argument(
        '--points', nargs='+', action='extend', type=parse_point, default=[],
        metavar='X,Y[,LABEL]', help='point prompts on --frame')
    parser.add_argument('--box', type=parse_box, metavar='X1,Y1,X2,Y2',
                        help='box prompt on --frame')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--force', action='store_true',
                        help='write into a non-empty --out (replacing only '
                        f'{", ".join(OUTPUT_NAMES)})')
    parser.add_argument(
        '--pixel-spacing', type=parse_spacing, metavar='MM[,MM]',
        help='pixel spacing in mm (one value, or rows,columns) when the '
        'input states none; a stated one must agree')
    parser.add_argument('--fps', type=parse_fps,
                        help='frame rate when the input states none; a '
                        'stated one must agree')
    parser.add_argument('--truth', metavar='DIR',
                        help='folder of ground-truth masks, one per frame')
    parser.add_argument('--min-iou', type=float, default=0.5,
                        help='stop below this predicted IoU (default 0.5)')
    add_device_arguments(parser)
    args = parser.parse_args(
        protect_negative_values(sys.argv[1:] if argv is None else argv))
    if not args.points and args.box is None:
        parser.error('give at least one prompt: --points and/or --box')
    if not Path(args.input).exists():
        parser.error(f'input not found: {args.input}')
    check_input_files(parser, args, ('config', 'checkpoint'))
    if args.truth is not None and not Path(args.truth).is_dir():
        parser.error(f'--truth {args.truth} is not a folder')
    if not 0 <= args.min_iou <= 1:
        parser.error(f'--min-iou must be in [0, 1], got {args.min_iou}')
    problem = output_problem(args)
    if problem:
        parser.error(problem)
    check_device(parser, args.device)
    return args


def output_problem(args: argparse.Namespace) -> Optional[str]:
    """Why --out cannot be written, or None."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return f'--out {out} exists and is not a folder'
    for option, given in (('input', args.input), ('--truth', args.truth)):
        folder = None if given is None else Path(given).resolve()
        if folder is not None and folder.is_dir() and (
                out.resolve() == folder or folder in out.resolve().parents):
            return (f'--out {out} is the {option} folder {given} or inside '
                    'it; refusing to write among input files, choose '
                    'another folder')
    for name in OUTPUT_NAMES:
        target = out / name
        for input_name in ('input', 'config', 'checkpoint', 'truth'):
            given = getattr(args, input_name)
            if given is None:
                continue
            if same_file(str(target), given) or (
                    Path(given).resolve().is_relative_to(target.resolve())
                    and name == 'masks'):
                return (f'--out {out}: its output {target} is the '
                        f'{input_name} {given}; refusing to overwrite an '
                        'input, choose another folder')
    if out.is_dir() and any(out.iterdir()) and not args.force:
        return (f'--out {out} is not empty; pass --force to write into it '
                f'(only {", ".join(OUTPUT_NAMES)} are replaced)')
    return None


def calibration_of(args: argparse.Namespace,
                   loop: CineFrames) -> PixelCalibration:
    """The loop's calibration with --pixel-spacing and --fps, or exit saying
    why they disagree with the input."""
    calibration = loop.calibration
    try:
        if args.pixel_spacing is not None:
            calibration = calibration.with_user_spacing(args.pixel_spacing)
        if args.fps is not None:
            calibration = calibration.with_frame_time(1000.0 / args.fps,
                                                      '--fps')
    except ValueError as err:
        fail(str(err))
    return calibration


def check_prompts(args: argparse.Namespace, num_frames: int, height: int,
                  width: int) -> None:
    """The frame exists and the prompts lie inside it."""
    if not 0 <= args.frame < num_frames:
        fail(f'--frame {args.frame}: {args.input} has {num_frames} frame(s) '
             f'(0..{num_frames - 1})')
    outside = prompts_outside(args.points, args.box, height, width,
                              f'frames of {args.input}')
    if outside:
        fail(outside)


def read_truth(folder: str, num: int, height: int, width: int) -> np.ndarray:
    """(T, H, W) bool ground-truth masks, or exit saying why they do not fit
    the loop."""
    try:
        masks = read_cine(folder).frames
    except (OSError, ValueError) as err:
        fail(f'--truth: {err}')
    if len(masks) != num:
        fail(f'--truth {folder} has {len(masks)} masks but the loop has '
             f'{num} frames')
    if masks[0].shape[:2] != (height, width):
        fail(f'--truth {folder}: masks of {masks[0].shape[1]}x'
             f'{masks[0].shape[0]} (WxH) but frames of {width}x{height}')
    return np.stack([m.max(axis=2) > 0 for m in masks])


def frame_times(num: int, calibration: PixelCalibration) -> np.ndarray:
    """Time of each frame in seconds, or the frame indices without a frame
    time."""
    if calibration.frame_time_ms is None:
        return np.arange(num, dtype=np.float64)
    return np.arange(num) * calibration.frame_time_ms / 1000.0


def write_csv(path: Path, times: np.ndarray, timed: bool, result,
              measured: Sequence[Optional[MaskMeasurements]],
              truth: Optional[dict]) -> None:
    """One row per frame; measurement columns are empty where unsegmented."""
    unit = next((m.unit for m in measured if m is not None), 'px')
    columns = [f'{name}_{unit}2' if name == 'area' else
               name if name.startswith(('echo', 'contrast')) else
               f'{name}_{unit}' for name in MEASURED]
    if truth is not None:
        columns += [f'true_area_{unit}2', 'dice']
    with open(path, 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(['frame', 'time_s' if timed else 'time_frames',
                         'status', 'predicted_iou', 'stability', 'unit'] +
                        columns)
        for index, (time, m) in enumerate(zip(times, measured)):
            row = [index, f'{time:.4f}', result.status[index],
                   _fmt(result.ious[index]), _fmt(result.stability[index])]
            if m is None:
                row += [''] * (1 + len(MEASURED))
            else:
                row += [m.unit] + [_fmt(getattr(m, name)) for name in MEASURED]
            if truth is not None:
                row += [_fmt(truth['area'][index]),
                        _fmt(truth['dice'][index])]
            writer.writerow(row)


def _fmt(value: Optional[float]) -> str:
    return '' if value is None or not math.isfinite(value) else f'{value:.4f}'


def plot_area(path: Path, times: np.ndarray, timed: bool,
              measured: Sequence[Optional[MaskMeasurements]], frame: int,
              title: str, truth: Optional[dict]) -> None:
    """Area over time, the prompted frame marked, and the true area."""
    unit = next((m.unit for m in measured if m is not None), 'px')
    area = np.array([np.nan if m is None else m.area for m in measured])
    # An Agg canvas of its own: no pyplot state, no change of the backend.
    figure = Figure(figsize=(5, 2.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(times, area, 'o-', color='tab:blue', markersize=3,
              label='propagated')
    axes.plot(times[frame], area[frame], 's', color='tab:red',
              label=f'prompted frame {frame}')
    if truth is not None:
        axes.plot(times, truth['area'], '--', color='black', linewidth=1,
                  label=f'ground truth (mean Dice {truth["mean_dice"]:.3f})')
    axes.set_xlabel('time (s)' if timed else 'frame')
    axes.set_ylabel(f'area ({unit}$^2$)')
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)


def write_gif(path: Path, frames: Sequence[np.ndarray], masks: np.ndarray,
              measured: Sequence[Optional[MaskMeasurements]],
              status: Sequence[str], duration_ms: float) -> None:
    """The frames with the mask, calipers, measurements and a frame label
    (which also keeps identical frames apart: Pillow merges those)."""
    color = distinct_colors(1)[0]
    images = []
    for index, (rgb, mask, m) in enumerate(zip(frames, masks, measured)):
        drawn = blend(rgb, mask_layer(mask[None], [color]))
        if m is not None:
            drawn = draw_calipers(drawn, m)
        height = drawn.shape[0]
        scale = max(0.3, max(drawn.shape[:2]) / 900)
        cv2.putText(drawn, f'frame {index} {status[index]}',
                    (3, height - 5), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
        images.append(Image.fromarray(drawn))
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=max(20, int(round(duration_ms))), loop=0)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        loop = read_cine(args.input)
    except (OSError, ValueError) as err:  # the messages name the file
        fail(str(err))
    num = len(loop.frames)
    height, width = loop.frames[0].shape[:2]
    check_prompts(args, num, height, width)
    calibration = calibration_of(args, loop)
    true_masks = None if args.truth is None else read_truth(
        args.truth, num, height, width)

    predictor = load_predictor(PROG, args.config, args.checkpoint,
                               args.device, args.precision)
    prompts = {}
    if args.points:
        prompts['point_coords'] = np.array([p[:2] for p in args.points])
        prompts['point_labels'] = np.array([p[2] for p in args.points])
    if args.box is not None:
        prompts['box'] = np.array(args.box)
    try:
        result = propagate(predictor, loop.frames, prompts, frame=args.frame,
                           min_iou=args.min_iou)
    except (RuntimeError, ValueError) as err:
        fail(f'{err}, on {args.input}; nothing was written')
    measured = [
        measure_mask(mask, calibration, rgb) if mask.any() else None
        for mask, rgb in zip(result.masks, loop.frames)
    ]
    times = frame_times(num, calibration)
    timed = calibration.frame_time_ms is not None
    truth = None
    if true_masks is not None:
        dice = [2 * (p & t).sum() / max(p.sum() + t.sum(), 1)
                for p, t in zip(result.masks, true_masks)]
        truth = dict(
            dice=dice, mean_dice=float(np.mean(dice)),
            area=[measure_mask(t, calibration).area if t.any() else 0.0
                  for t in true_masks])

    out = Path(args.out)
    try:
        (out / 'masks').mkdir(parents=True, exist_ok=True)
        for index, mask in enumerate(result.masks):
            target = out / 'masks' / f'{index:04d}.png'
            if not cv2.imwrite(str(target), mask.astype(np.uint8) * 255):
                fail(f'cannot write {target}')
        write_csv(out / 'measurements.csv', times, timed, result, measured,
                  truth)
        plot_area(out / 'area.png', times, timed, measured, args.frame,
                  Path(args.input).name, truth)
        write_gif(out / 'overlay.gif', loop.frames, result.masks, measured,
                  result.status, calibration.frame_time_ms or DEFAULT_GIF_MS)
        segmented = [i for i, s in enumerate(result.status) if s != 'stopped']
        (out / 'summary.json').write_text(json.dumps(dict(
            input=args.input, kind=loop.kind, num_frames=num,
            frame_size=[width, height], prompted_frame=args.frame,
            segmented_frames=len(segmented),
            stop_reasons=result.stop_reasons,
            mean_dice=None if truth is None else round(truth['mean_dice'], 4),
            calibration=calibration.to_dict(),
            outputs={name: str(out / name) for name in OUTPUT_NAMES}),
            indent=1))
    except OSError as err:
        fail(f'cannot write the outputs: {err}')
    areas = [m.area for m in measured if m is not None]
    unit = next((m.unit for m in measured if m is not None), 'px')
    area = (f'area {min(areas):.1f}..{max(areas):.1f} {unit}2'
            if areas else 'every mask is empty')
    if unit == 'px':
        area += (' (no pixel spacing: '
                 f'{"; ".join(calibration.problems) or "none stated"})')
    print(f'{num} frames, {len(segmented)} segmented; {area}; outputs in '
          f'{out}')


if __name__ == '__main__':
    main()
