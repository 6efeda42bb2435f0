"""Segment an ultrasound image (PNG, JPEG, TIFF or DICOM) from point / box prompts.

No ground truth needed: runs ``ultrasam.apis.UltraSamPredictor`` and writes an overlay
of the prompts, the predicted mask and its calipers (and optionally the mask itself),
and the mask's measurements as JSON next to the overlay (``OUT`` with suffix
``.json``): area, perimeter, the two caliper axes, equivalent ellipse and
echogenicity, in mm when the image is calibrated (DICOM ``PixelSpacing`` or
ultrasound regions, or ``--pixel-spacing``), in pixels otherwise (the JSON says why).

Examples:
    python tools/demo/image_demo.py image.png CONFIG CKPT --points 120,80 --out out.png
    python tools/demo/image_demo.py scan.dcm CONFIG CKPT --frame 3 \\
        --points 120,80,1 60,40,0 --box 30,20,200,160 --out out.png --mask-out mask.png
    python tools/demo/image_demo.py image.png CONFIG CKPT --box 30,20,200,160 \\
        --pixel-spacing 0.1 --out out.png

Coordinates are (x, y) pixels of the image (of the DICOM frame); a point's optional
third value is its label: 1 foreground (default), 0 background. Prompts must lie
inside the image. The outputs never replace an input file, and an existing output
file is only replaced with --force. Bad arguments and unreadable images are
reported before the model is built; on any error nothing is written.
"""
import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, NoReturn, Optional, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample
from ultrasam.apis.cli_support import (add_device_arguments, check_device,
                                       load_predictor, parse_box,
                                       parse_point, parse_spacing,
                                       prompts_outside,
                                       protect_negative_values, same_file)
from ultrasam.apis.mask_drawing import draw_calipers, measurement_label
from ultrasam.datasets import read_dicom_calibration, read_ultrasound_image
from ultrasam.evaluation import measure_mask
from ultrasam.structures import PixelCalibration, PromptType
from ultrasam.visualization import PromptVisualizer

PROG = 'image_demo.py'
OVERLAY_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
# Lossy formats would blur the mask's 0 / 255 values.
MASK_SUFFIXES = ('.png', '.bmp', '.tif', '.tiff')


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def output_problem(option: str, path: str, suffixes: Tuple[str, ...],
                   args: argparse.Namespace) -> Optional[str]:
    """Why ``path`` cannot be written as ``option``, or None."""
    if path.endswith(('/', os.sep)) or Path(path).is_dir():
        return (f'{option} {path} is a directory; give a file name ending '
                f'in one of {", ".join(suffixes)}')
    # Checked here: the visualizer would silently change an unknown suffix.
    if Path(path).suffix.lower() not in suffixes:
        return (f'{option} {path}: the file name must end in one of '
                f'{", ".join(suffixes)}')
    for name in ('image', 'config', 'checkpoint'):
        if same_file(path, getattr(args, name)):
            return (f'{option} {path} is the input {name} '
                    f'{getattr(args, name)}; refusing to overwrite an input, '
                    'choose another output file')
    if Path(path).exists() and not args.force:
        return (f'{option} {path} already exists; pass --force to '
                'overwrite it')
    for parent in Path(path).absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                return f'{option} {path}: {parent} is not a directory'
            break
    return None


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (``sys.argv[1:]`` when None) and check the prompts."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('image', help='PNG / JPEG / TIFF / DICOM file')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--points', nargs='+', action='extend', type=parse_point, default=[],
        metavar='X,Y[,LABEL]',
        help='point prompts (negative values are read as values: '
        '--points -5,10 and --points=-5,10 both work, and are rejected as '
        'outside the image)')
    parser.add_argument(
        '--box', type=parse_box, metavar='X1,Y1,X2,Y2', help='box prompt')
    parser.add_argument(
        '--out', required=True,
        help='overlay image to write (never an input file; an existing file '
        'only with --force)')
    parser.add_argument(
        '--mask-out',
        help='also write the mask as a PNG (same rules as --out)')
    parser.add_argument(
        '--force', action='store_true',
        help='replace existing --out / --mask-out files')
    parser.add_argument(
        '--frame', type=int, help='frame of a multi-frame DICOM (0-based)')
    parser.add_argument(
        '--pixel-spacing', type=parse_spacing, metavar='MM[,MM]',
        help='pixel spacing in mm (one value, or rows,columns) for images '
        'without calibration; a DICOM file\'s own calibration must agree')
    parser.add_argument(
        '--multimask', action='store_true',
        help='predict 3 candidates and keep the best scored one '
        '(helps with a single ambiguous point)')
    add_device_arguments(parser)
    args = parser.parse_args(
        protect_negative_values(sys.argv[1:] if argv is None else argv))
    if not args.points and args.box is None:
        parser.error('give at least one prompt: --points and/or --box')
    for name in ('image', 'config', 'checkpoint'):
        path = Path(getattr(args, name))
        if not path.exists():
            parser.error(f'{name} file not found: {path}')
        if not path.is_file():
            parser.error(f'{name} {path} is not a file')
    for option, path, suffixes in (('--out', args.out, OVERLAY_SUFFIXES),
                                   ('--mask-out', args.mask_out,
                                    MASK_SUFFIXES)):
        problem = path and output_problem(option, path, suffixes, args)
        if problem:
            parser.error(problem)
    if args.mask_out and same_file(args.out, args.mask_out):
        parser.error(f'--out and --mask-out are the same file {args.out}')
    problem = output_problem('--out (its measurements JSON)',
                             json_path(args.out), ('.json', ), args)
    if problem:
        parser.error(problem)
    check_device(parser, args.device)
    return args


def json_path(out: str) -> str:
    """The measurements JSON written next to the overlay ``out``."""
    return str(Path(out).with_suffix('.json'))


def calibration_of(args: argparse.Namespace) -> PixelCalibration:
    """The image's calibration with ``--pixel-spacing``, or exit saying why
    they disagree."""
    try:
        calibration = read_dicom_calibration(args.image) or PixelCalibration()
        if args.pixel_spacing is not None:
            calibration = calibration.with_user_spacing(args.pixel_spacing)
    except ValueError as err:
        fail(str(err))
    return calibration


def check_resizable(path: str, height: int, width: int, longest: int) -> None:
    """The model sees the image with its longest side resized to ``longest``:
    a side that rounds to 0 pixels cannot be resized."""
    new_w, new_h = mmcv.rescale_size((width, height),
                                     longest / max(height, width))
    if min(new_w, new_h) < 1:
        fail(f'{path}: the {height}x{width} (HxW) image is too elongated: '
             f'resized to the model input ({longest} px longest side) it '
             f'would be {new_h}x{new_w}; crop it')


def prompt_sample(args: argparse.Namespace, image_shape: Tuple[int, int],
                  mask: np.ndarray, score: float) -> DetDataSample:
    """One instance carrying the prompts and the prediction, for drawing."""
    sample = DetDataSample(
        metainfo=dict(
            ori_shape=image_shape, img_shape=image_shape,
            scale_factor=(1., 1.), flip=False))
    points = np.array([p[:2] for p in args.points], np.float32).reshape(1, -1, 2)
    labels = np.array([p[2] for p in args.points], np.int64).reshape(1, -1)
    if args.box is None:
        prompt_type, box = PromptType.POINT, np.zeros((1, 4), np.float32)
    else:
        prompt_type = (PromptType.POINT_AND_BOX
                       if args.points else PromptType.BOX)
        box = np.array([args.box], np.float32)
    sample.gt_instances = InstanceData(
        point_coords=torch.from_numpy(points),
        point_labels=torch.from_numpy(labels),
        prompt_boxes=torch.from_numpy(box),
        prompt_types=torch.tensor([int(prompt_type)]))
    sample.pred_instances = InstanceData(
        masks=torch.from_numpy(mask[None]), scores=torch.tensor([score]))
    return sample


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        bgr = read_ultrasound_image(args.image, frame=args.frame)
    except (OSError, ValueError) as err:  # the messages name the file
        fail(str(err))
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    outside = prompts_outside(args.points, args.box, *rgb.shape[:2],
                              f'image {args.image}')
    if outside:
        fail(outside)
    calibration = calibration_of(args)

    predictor = load_predictor(PROG, args.config, args.checkpoint,
                               args.device, args.precision)
    check_resizable(args.image, *rgb.shape[:2],
                    max(predictor.model.input_size))
    predictor.set_image(rgb)
    try:
        masks, scores, _ = predictor.predict(
            point_coords=np.array([p[:2] for p in args.points]).reshape(-1, 2)
            if args.points else None,
            point_labels=np.array([p[2] for p in args.points])
            if args.points else None,
            box=np.array(args.box) if args.box is not None else None,
            multimask_output=args.multimask)
    except RuntimeError as err:  # non-finite outputs: corrupt weights
        fail(f'{err}, on {args.image} with checkpoint {args.checkpoint}; '
             'nothing was written')
    best = int(np.argmax(scores))
    mask, score = masks[best], float(scores[best])
    measurements = measure_mask(mask, calibration, rgb) if mask.any() \
        else None

    try:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        visualizer = PromptVisualizer()
        visualizer.add_datasample(
            Path(args.image).stem, rgb,
            prompt_sample(args, rgb.shape[:2], mask, score),
            draw_gt=False)
        overlay = visualizer.get_image()
        if measurements is not None:
            overlay = draw_calipers(overlay, measurements)
        if not cv2.imwrite(args.out, overlay[..., ::-1]):
            fail(f'cannot write --out {args.out}')
        Path(json_path(args.out)).write_text(json.dumps(dict(
            image=args.image, frame=args.frame, predicted_iou=round(score, 4),
            mask_pixels=int(mask.sum()),
            calibration=calibration.to_dict(),
            measurements=None if measurements is None else
            measurements.to_dict()), indent=1))
        if args.mask_out:
            Path(args.mask_out).parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(args.mask_out, mask.astype(np.uint8) * 255):
                fail(f'cannot write --mask-out {args.mask_out}')
    except OSError as err:
        fail(f'cannot write the outputs: {err}')
    measured = 'empty mask, nothing measured' if measurements is None else \
        measurement_label(measurements)
    if measurements is not None and measurements.unit == 'px':
        measured += f' ({measurements.calibration_note})'
    print(f'mask: {int(mask.sum())} pixels, predicted IoU {score:.3f}; '
          f'{measured}; overlay written to {args.out}, measurements to '
          f'{json_path(args.out)}')


if __name__ == '__main__':
    main()
