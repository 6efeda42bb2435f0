"""Segment an ultrasound image (PNG, JPEG, TIFF or DICOM) from point / box prompts.

No ground truth needed: runs ``ultrasam.apis.UltraSamPredictor`` and writes an overlay
of the prompts and the predicted mask (and optionally the mask itself).

Examples:
    python tools/demo/image_demo.py image.png CONFIG CKPT --points 120,80 --out out.png
    python tools/demo/image_demo.py scan.dcm CONFIG CKPT --frame 3 \\
        --points 120,80,1 60,40,0 --box 30,20,200,160 --out out.png --mask-out mask.png

Coordinates are (x, y) pixels of the image (of the DICOM frame); a point's optional
third value is its label: 1 foreground (default), 0 background.
"""
import argparse
from pathlib import Path
from typing import List, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample
from ultrasam.apis import UltraSamPredictor
from ultrasam.datasets import read_ultrasound_image
from ultrasam.structures import PromptType
from ultrasam.visualization import PromptVisualizer

OVERLAY_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
# Lossy formats would blur the mask's 0 / 255 values.
MASK_SUFFIXES = ('.png', '.bmp', '.tif', '.tiff')


def parse_point(text: str) -> Tuple[float, float, int]:
    """``X,Y`` or ``X,Y,LABEL`` -> (x, y, label)."""
    values = text.split(',')
    try:
        if len(values) not in (2, 3):
            raise ValueError
        x, y = float(values[0]), float(values[1])
        label = int(values[2]) if len(values) == 3 else 1
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--points {text!r}: expected X,Y or X,Y,LABEL') from None
    if label not in (0, 1):
        raise argparse.ArgumentTypeError(
            f'--points {text!r}: label must be 1 (foreground) or 0 '
            f'(background), got {label}')
    return x, y, label


def parse_box(text: str) -> List[float]:
    """``X1,Y1,X2,Y2`` -> [x1, y1, x2, y2]."""
    try:
        box = [float(v) for v in text.split(',')]
    except ValueError:
        box = []
    if len(box) != 4 or box[2] < box[0] or box[3] < box[1]:
        raise argparse.ArgumentTypeError(
            f'--box {text!r}: expected X1,Y1,X2,Y2 with X1<=X2 and Y1<=Y2')
    return box


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (``sys.argv[1:]`` when None) and check the prompts."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image', help='PNG / JPEG / TIFF / DICOM file')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--points', nargs='+', type=parse_point, default=[],
        metavar='X,Y[,LABEL]', help='point prompts')
    parser.add_argument(
        '--box', type=parse_box, metavar='X1,Y1,X2,Y2', help='box prompt')
    parser.add_argument('--out', required=True, help='overlay PNG to write')
    parser.add_argument('--mask-out', help='also write the mask as a PNG')
    parser.add_argument(
        '--frame', type=int, help='frame of a multi-frame DICOM (0-based)')
    parser.add_argument(
        '--multimask', action='store_true',
        help='predict 3 candidates and keep the best scored one '
        '(helps with a single ambiguous point)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    args = parser.parse_args(argv)
    if not args.points and args.box is None:
        parser.error('give at least one prompt: --points and/or --box')
    for path in (args.image, args.config, args.checkpoint):
        if not Path(path).is_file():
            parser.error(f'file not found: {path}')
    # Checked here: the visualizer would silently change an unknown suffix.
    for option, path, suffixes in (('--out', args.out, OVERLAY_SUFFIXES),
                                   ('--mask-out', args.mask_out,
                                    MASK_SUFFIXES)):
        if path is not None and Path(path).suffix.lower() not in suffixes:
            parser.error(f'{option} {path}: the file name must end in one '
                         f'of {", ".join(suffixes)}')
    return args


def check_inside(args: argparse.Namespace, height: int, width: int) -> None:
    """Prompts outside the image are a user error, not something to clip."""
    for x, y, _ in args.points:
        if not (0 <= x < width and 0 <= y < height):
            raise SystemExit(f'--points {x:g},{y:g} is outside the '
                             f'{width}x{height} image')
    if args.box is not None:
        x1, y1, x2, y2 = args.box
        if x1 < 0 or y1 < 0 or x2 >= width or y2 >= height:
            raise SystemExit(f'--box {x1:g},{y1:g},{x2:g},{y2:g} is outside '
                             f'the {width}x{height} image')


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
    except ValueError as err:  # undecodable file, frame out of range
        raise SystemExit(f'error: {err}') from None
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    check_inside(args, *rgb.shape[:2])

    predictor = UltraSamPredictor.from_config(
        args.config, args.checkpoint, device=args.device)
    predictor.set_image(rgb)
    masks, scores, _ = predictor.predict(
        point_coords=np.array([p[:2] for p in args.points]).reshape(-1, 2)
        if args.points else None,
        point_labels=np.array([p[2] for p in args.points])
        if args.points else None,
        box=np.array(args.box) if args.box is not None else None,
        multimask_output=args.multimask)
    best = int(np.argmax(scores))
    mask, score = masks[best], float(scores[best])

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    visualizer = PromptVisualizer()
    visualizer.add_datasample(
        Path(args.image).stem, rgb,
        prompt_sample(args, rgb.shape[:2], mask, score),
        draw_gt=False, out_file=args.out)
    if args.mask_out:
        Path(args.mask_out).parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(args.mask_out, mask.astype(np.uint8) * 255):
            raise SystemExit(f'error: cannot write {args.mask_out}')
    print(f'mask: {int(mask.sum())} pixels, predicted IoU {score:.3f}; '
          f'overlay written to {args.out}')


if __name__ == '__main__':
    main()
