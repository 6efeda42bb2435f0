"""What the command-line tools share: prompt and pixel-spacing parsers, argument
checks and model loading that end in one line ``PROG: error: ...`` instead of a
traceback."""
import argparse
import math
import os
import pickle
import re
import sys
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import torch

from .predictor import ENCODER_PRECISIONS, UltraSamPredictor

# What a bad config or checkpoint raises while the model is built and loaded.
MODEL_ERRORS = (OSError, EOFError, KeyError, ValueError, TypeError,
                RuntimeError, SyntaxError, pickle.UnpicklingError)
MAX_ERROR_CHARS = 500
# argparse takes '-5,10' for an option; no option of the tools starts with a
# digit, so such a word is always a (negative) coordinate value.
NEGATIVE_VALUE = re.compile(r'-\.?\d')


def positive_int(text: str) -> int:
    """argparse type of counts that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f'expected a positive integer, got {text!r}')
    return value


def parse_point(text: str) -> Tuple[float, float, int]:
    """``X,Y`` or ``X,Y,LABEL`` -> (x, y, label)."""
    text = text.strip()
    values = text.split(',')
    try:
        if len(values) not in (2, 3):
            raise ValueError
        x, y = float(values[0]), float(values[1])
        label = int(values[2]) if len(values) == 3 else 1
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--points {text!r}: expected X,Y or X,Y,LABEL') from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise argparse.ArgumentTypeError(
            f'--points {text!r}: coordinates must be finite numbers')
    if label not in (0, 1):
        raise argparse.ArgumentTypeError(
            f'--points {text!r}: label must be 1 (foreground) or 0 '
            f'(background), got {label}')
    return x, y, label


def parse_box(text: str) -> List[float]:
    """``X1,Y1,X2,Y2`` -> [x1, y1, x2, y2]."""
    text = text.strip()
    try:
        box = [float(v) for v in text.split(',')]
    except ValueError:
        box = []
    if (len(box) != 4 or not all(map(math.isfinite, box)) or box[2] < box[0]
            or box[3] < box[1]):
        raise argparse.ArgumentTypeError(
            f'--box {text!r}: expected finite X1,Y1,X2,Y2 with X1<=X2 and '
            'Y1<=Y2')
    return box


def protect_negative_values(argv: List[str]) -> List[str]:
    """Prefix values such as ``-5,10`` with a space so that argparse keeps
    them as values (``float`` ignores the space)."""
    return [f' {arg}' if NEGATIVE_VALUE.match(arg) else arg for arg in argv]


def same_file(path: str, other: str) -> bool:
    """Whether two paths name one file (through symlinks or hard links)."""
    if Path(path).resolve() == Path(other).resolve():
        return True
    return (Path(path).exists() and Path(other).exists()
            and os.path.samefile(path, other))


def parse_spacing(text: str) -> Tuple[float, float]:
    """``MM`` or ``ROW_MM,COL_MM`` -> (row_mm, col_mm), for --pixel-spacing."""
    try:
        values = [float(v) for v in text.strip().split(',')]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(
            math.isfinite(v) and v > 0 for v in values):
        raise argparse.ArgumentTypeError(
            f'--pixel-spacing {text!r}: expected MM or ROW_MM,COL_MM '
            '(positive millimetres between rows, between columns)')
    return values[0], values[-1]


def prompts_outside(points: Iterable[Tuple[float, float, int]],
                    box: Optional[List[float]], height: int, width: int,
                    where: str) -> Optional[str]:
    """The error line for the first ``--points`` / ``--box`` prompt outside
    a ``height`` x ``width`` image (described by ``where``), else None.
    Prompts outside the image are a user error, not something to clip."""
    for x, y, _ in points:
        if not (0 <= x < width and 0 <= y < height):
            return (f'--points {x:g},{y:g} is outside the {width}x{height} '
                    f'(WxH) {where}')
    if box is not None:
        x1, y1, x2, y2 = box
        if x1 < 0 or y1 < 0 or x2 >= width or y2 >= height:
            return (f'--box {x1:g},{y1:g},{x2:g},{y2:g} is outside the '
                    f'{width}x{height} (WxH) {where}')
    return None


def check_input_files(parser: argparse.ArgumentParser,
                      args: argparse.Namespace, names: Iterable[str]) -> None:
    """``parser.error`` unless every named argument (when given) is a file."""
    for name in names:
        path = getattr(args, name)
        if path is not None and not Path(path).is_file():
            parser.error(f'{name} file not found: {path}')


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    """``--device`` and ``--precision`` (of the image encoder)."""
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--precision', choices=sorted(ENCODER_PRECISIONS), default='fp32',
        help='precision of the image encoder: bf16 runs it under bfloat16 '
        'autocast, faster on CPUs with AVX512-BF16 and on recent GPUs '
        '(README: Performance); the decoder stays fp32 (default fp32)')


def check_device(parser: argparse.ArgumentParser, device: str) -> None:
    """``parser.error`` for a string that is no torch device or an absent
    GPU."""
    try:
        parsed = torch.device(device)
    except RuntimeError:
        parser.error(f'--device {device!r} is not a torch device, e.g. cpu '
                     'or cuda:0')
    if parsed.type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {device}: CUDA is not available here')


def load_predictor(prog: str,
                   config: str,
                   checkpoint: str,
                   device: str = 'cpu',
                   precision: str = 'fp32') -> UltraSamPredictor:
    """The predictor, or exit with one line saying why the config or the
    checkpoint failed."""
    try:
        return UltraSamPredictor.from_config(
            config, checkpoint, device=device, precision=precision)
    except MODEL_ERRORS as err:
        # pickle reports an empty or truncated file as a bare EOFError.
        detail = str(err) or 'the file ends early (empty or truncated)'
        reason = ' '.join(f'{type(err).__name__}: {detail}'.split())
        if len(reason) > MAX_ERROR_CHARS:
            reason = reason[:MAX_ERROR_CHARS] + ' ...'
        sys.exit(f'{prog}: error: cannot build the model of {config} with '
                 f'checkpoint {checkpoint}: {reason}')
