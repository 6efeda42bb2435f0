"""Segment everything in an ultrasound image from a grid of point prompts.

Runs ``ultrasam.apis.UltraSamAutomaticMaskGenerator`` and writes OUT/<stem>_masks.png
(the image with every mask drawn) and OUT/<stem>_masks.json (COCO, one RLE
annotation per mask with ``score`` = predicted IoU, ``stability_score`` and the
prompting point).

Examples:
    python tools/demo/auto_masks.py image.png CONFIG CKPT --out work_dirs/auto
    python tools/demo/auto_masks.py scan.dcm CONFIG CKPT --frame 2 --out work_dirs/auto \\
        --points-per-side 32 --crop-n-layers 1

The filters default to segment-anything's (predicted IoU > 0.88, stability >= 0.95);
a small model such as the `make demo` one needs lower ones, e.g.
--pred-iou-thresh 0.75 --stability-score-thresh 0.7. Existing outputs are only
replaced with --force.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, NoReturn, Optional

import numpy as np

from ultrasam.apis.cli_support import (add_device_arguments, check_device,
                                       check_input_files, load_predictor)

PROG = 'auto_masks.py'


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f'must be in [0, 1], got {text}')
    return value


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('image', help='PNG / JPEG / TIFF / DICOM file')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument(
        '--frame', type=int, help='frame of a multi-frame DICOM (0-based)')
    parser.add_argument('--points-per-side', type=int, default=16)
    parser.add_argument('--points-per-batch', type=int, default=32)
    parser.add_argument('--pred-iou-thresh', type=float, default=0.88)
    parser.add_argument(
        '--stability-score-thresh', type=fraction, default=0.95)
    parser.add_argument('--stability-score-offset', type=float, default=1.0)
    parser.add_argument('--nms-thresh', type=fraction, default=0.7)
    parser.add_argument('--crop-n-layers', type=int, default=0)
    parser.add_argument(
        '--min-mask-area', type=int, default=0,
        help='drop masks with fewer pixels')
    add_device_arguments(parser)
    parser.add_argument(
        '--force', action='store_true', help='replace existing outputs')
    args = parser.parse_args(argv)
    check_input_files(parser, args, ('image', 'config', 'checkpoint'))
    for name in ('points_per_side', 'points_per_batch'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.crop_n_layers < 0:
        parser.error('--crop-n-layers must be >= 0')
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        parser.error(f'--out {out} exists and is not a directory')
    check_device(parser, args.device)
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from ultrasam.apis import (UltraSamAutomaticMaskGenerator, coco_dataset,
                               mask_annotation)
    from ultrasam.apis.mask_drawing import (blend, distinct_colors,
                                            encode_png, mask_layer)
    from ultrasam.datasets import read_ultrasound_image

    out = Path(args.out)
    stem = Path(args.image).stem
    overlay_file = out / f'{stem}_masks.png'
    json_file = out / f'{stem}_masks.json'
    existing = [str(p) for p in (overlay_file, json_file) if p.exists()]
    if existing and not args.force:
        fail(f'{", ".join(existing)} already exist; pass --force to replace '
             'them')
    try:
        rgb = np.ascontiguousarray(
            read_ultrasound_image(args.image, frame=args.frame)[..., ::-1])
    except (OSError, ValueError) as err:  # the messages name the file
        fail(str(err))
    predictor = load_predictor(PROG, args.config, args.checkpoint,
                               args.device, args.precision)
    generator = UltraSamAutomaticMaskGenerator(
        predictor,
        points_per_side=args.points_per_side,
        points_per_batch=args.points_per_batch,
        pred_iou_thresh=args.pred_iou_thresh,
        stability_score_thresh=args.stability_score_thresh,
        stability_score_offset=args.stability_score_offset,
        nms_thresh=args.nms_thresh,
        crop_n_layers=args.crop_n_layers,
        min_mask_area=args.min_mask_area)
    try:
        records = generator.generate(rgb)
    except ValueError as err:  # e.g. an image too elongated for the model
        fail(f'{args.image}: {err}')

    height, width = rgb.shape[:2]
    image_entry = dict(id=1, file_name=Path(args.image).name, height=height,
                       width=width)
    if args.frame is not None:
        image_entry['frame'] = args.frame
    annotations = [
        mask_annotation(r['segmentation'], 1, index + 1,
                        score=r['predicted_iou'],
                        stability_score=r['stability_score'],
                        point_coords=r['point_coords'])
        for index, r in enumerate(records)
    ]
    coco = coco_dataset([image_entry], annotations,
                        f'UltraSam automatic masks of {Path(args.image).name}')
    try:
        out.mkdir(parents=True, exist_ok=True)
        masks = np.array([r['segmentation'] for r in records],
                         bool).reshape(-1, height, width)
        overlay = blend(rgb, mask_layer(masks, distinct_colors(len(masks))))
        overlay_file.write_bytes(encode_png(overlay))
        json_file.write_text(json.dumps(coco))
    except OSError as err:
        fail(f'cannot write the outputs: {err}')
    print(f'{len(records)} masks; overlay {overlay_file}, COCO {json_file}')
    if not records:
        print('no mask passed the filters: try lower --pred-iou-thresh / '
              '--stability-score-thresh (a small model is less confident)')


if __name__ == '__main__':
    main()
