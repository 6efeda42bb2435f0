"""Export an UltraSam checkpoint to ONNX: image encoder + prompt decoder graphs.

Example:
    python tools/deployment/export_onnx.py configs/ultrasam/ultrasam_vitt_phantom.py \\
        work_dirs/demo/train/iter_1200.pth --out work_dirs/onnx

Writes OUT/image_encoder.onnx (resized RGB image -> embedding, run once per image),
OUT/prompt_decoder.onnx (embedding + any number of points, optional box and mask
prompt -> mask logits, IoU predictions, low-res logits; run per click) and
OUT/ultrasam_onnx.json (input size, mask threshold, input / output names).
``ultrasam.apis.OnnxUltraSamPredictor`` runs them with onnxruntime. With onnxruntime
installed the export is checked: both graphs are run on a synthetic image with a
point, a box and a mask prompt and compared with PyTorch (largest logit difference
printed; above --tolerance is an error). Existing files are replaced only with --force.
"""
import argparse
import sys
from pathlib import Path
from typing import Dict, List, NoReturn, Optional

import numpy as np

from ultrasam.apis.cli_support import check_input_files, load_predictor

PROG = 'export_onnx.py'


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset')
    parser.add_argument(
        '--tolerance', type=float, default=1e-3,
        help='largest accepted |PyTorch - onnxruntime| mask logit '
        '(default %(default)g)')
    parser.add_argument(
        '--force', action='store_true', help='replace existing ONNX files')
    args = parser.parse_args(argv)
    check_input_files(parser, args, ('config', 'checkpoint'))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        parser.error(f'--out {out} exists and is not a directory')
    return args


def check_outputs_free(out: Path, force: bool) -> None:
    """Refuse to replace earlier exports unless ``force``."""
    from ultrasam.apis.onnx_export import DECODER_FILE, ENCODER_FILE, META_FILE

    existing = [name for name in (ENCODER_FILE, DECODER_FILE, META_FILE)
                if (out / name).exists()]
    if existing and not force:
        fail(f'--out {out} already holds {", ".join(existing)}; pass --force '
             'to replace them')


def parity_report(predictor, onnx_dir: Path) -> Dict[str, float]:
    """Largest |PyTorch - onnxruntime| logit per prompt kind on a synthetic
    image (a gradient, so every model sees structure)."""
    from ultrasam.apis import OnnxUltraSamPredictor

    height, width = 180, 240
    ys, xs = np.mgrid[0:height, 0:width]
    image = ((xs * 255 // width + ys * 128 // height) % 256).astype(np.uint8)
    onnx_predictor = OnnxUltraSamPredictor(onnx_dir)
    predictor.set_image(image)
    onnx_predictor.set_image(image)
    points, labels = np.array([[60., 50], [200, 150]]), np.array([1, 0])
    box = np.array([30., 20, 180, 140])
    first = predictor.predict(points[:1], labels[:1], return_logits=True)
    prompts = dict(
        points=dict(point_coords=points, point_labels=labels),
        box=dict(box=box),
        mask=dict(point_coords=points, point_labels=labels,
                  mask_input=first[2][:1]))
    report = {}
    for name, prompt in prompts.items():
        reference = predictor.predict(
            **prompt, multimask_output=False, return_logits=True)
        exported = onnx_predictor.predict(
            **prompt, multimask_output=False, return_logits=True)
        report[name] = float(max(
            np.abs(reference[0] - exported[0]).max(),
            np.abs(reference[2] - exported[2]).max()))
    return report


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    check_outputs_free(out, args.force)

    from ultrasam.apis.onnx_export import export_onnx

    predictor = load_predictor(PROG, args.config, args.checkpoint)
    try:
        paths = export_onnx(predictor.model, out, opset=args.opset)
    except OSError as err:
        fail(f'cannot write to --out {out}: {err}')
    for kind in ('encoder', 'decoder', 'meta'):
        print(f'{kind}: {paths[kind]}')
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print('onnxruntime is not installed: the export was not checked '
              '(pip install -r requirements/demo.txt)')
        return
    report = parity_report(predictor, out)
    print('max |PyTorch - onnxruntime| logit: ' + ', '.join(
        f'{name} {diff:.2e}' for name, diff in report.items()))
    worst = max(report, key=report.get)
    if report[worst] > args.tolerance:
        fail(f'the exported graphs differ from PyTorch by {report[worst]:.2e} '
             f'on the {worst} prompt (--tolerance {args.tolerance:g})')


if __name__ == '__main__':
    main()
