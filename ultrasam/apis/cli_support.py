"""What the command-line tools share: argument checks and model loading that end
in one line ``PROG: error: ...`` instead of a traceback."""
import argparse
import pickle
import sys
from pathlib import Path
from typing import Iterable

import torch

from .predictor import UltraSamPredictor

# What a bad config or checkpoint raises while the model is built and loaded.
MODEL_ERRORS = (OSError, EOFError, KeyError, ValueError, TypeError,
                RuntimeError, SyntaxError, pickle.UnpicklingError)
MAX_ERROR_CHARS = 500


def check_input_files(parser: argparse.ArgumentParser,
                      args: argparse.Namespace, names: Iterable[str]) -> None:
    """``parser.error`` unless every named argument (when given) is a file."""
    for name in names:
        path = getattr(args, name)
        if path is not None and not Path(path).is_file():
            parser.error(f'{name} file not found: {path}')


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


def load_predictor(prog: str, config: str, checkpoint: str,
                   device: str = 'cpu') -> UltraSamPredictor:
    """The predictor, or exit with one line saying why the config or the
    checkpoint failed."""
    try:
        return UltraSamPredictor.from_config(config, checkpoint, device=device)
    except MODEL_ERRORS as err:
        # pickle reports an empty or truncated file as a bare EOFError.
        detail = str(err) or 'the file ends early (empty or truncated)'
        reason = ' '.join(f'{type(err).__name__}: {detail}'.split())
        if len(reason) > MAX_ERROR_CHARS:
            reason = reason[:MAX_ERROR_CHARS] + ' ...'
        sys.exit(f'{prog}: error: cannot build the model of {config} with '
                 f'checkpoint {checkpoint}: {reason}')
