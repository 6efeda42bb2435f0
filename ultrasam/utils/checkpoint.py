"""Read checkpoints safely and load them into models, with errors that name the file.

Every file is read with ``torch.load(weights_only=True)``: tensors, plain Python data
and the few MMEngine objects allow-listed in :mod:`.torch_compat`. Any failure becomes
one :class:`CheckpointError` "cannot read checkpoint PATH: <reason>"; none of them
advises unsafe loading. Weights must be finite, and loading into a model is strict
unless a partial load is asked for explicitly.
"""
import os
import pickle
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union

import torch
import torch.nn as nn

StateDict = Dict[str, torch.Tensor]
PathLike = Union[str, Path]

# torch >= 1.6 writes zip archives; older torch wrote a pickle stream.
_ZIP_MAGIC = b'PK\x03\x04'
_PICKLE_PROTO = b'\x80'
_MAX_KEYS_SHOWN = 3

# Formats of the converters' inputs: key prefixes that identify them, what they
# are, and the command that converts them for this package.
FOREIGN_FORMATS = {
    'segment-anything': (
        ('image_encoder.', ), 'an unconverted segment-anything checkpoint',
        'python tools/model_converters/sam_to_ultrasam.py {path} OUT.pth'),
    'ultrasam-release': (
        ('prompt_encoder.label_encoder.', ),
        'a checkpoint of the original UltraSam release',
        'python tools/model_converters/ultrasam_release_to_ultrasam.py {path} '
        'OUT.pth'),
}
ULTRASAM_PARTS = ('backbone.', 'prompt_encoder.', 'mask_decoder.')


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read, or whose weights do not fit a model."""


@dataclass(frozen=True)
class WeightMismatch:
    """How a state dict differs from a model's; false when they match.

    Attributes:
        missing (list[str]): Model keys the state dict lacks.
        unexpected (list[str]): State dict keys the model lacks.
        shapes (list[tuple]): ``(key, model shape, checkpoint shape)`` of keys
            both have with different shapes.
    """
    missing: List[str]
    unexpected: List[str]
    shapes: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.shapes)

    def summary(self) -> str:
        """One line: counts per top-level module, with example keys."""
        parts = []
        if self.shapes:
            key, ours, theirs = self.shapes[0]
            parts.append(
                f'architecture mismatch: {key} is {ours} in the config\'s '
                f'model but {theirs} in the checkpoint ({len(self.shapes)} '
                'tensors differ in shape)')
        if self.missing:
            parts.append(f'{len(self.missing)} keys missing from the '
                         f'checkpoint: {summarise_keys(self.missing)}')
        if self.unexpected:
            parts.append(f'{len(self.unexpected)} unexpected keys: '
                         f'{summarise_keys(self.unexpected)}')
        return '; '.join(parts)


def summarise_keys(keys: Iterable[str]) -> str:
    """``'mask_decoder (68, e.g. mask_decoder.iou_token.weight), ...'``."""
    keys = list(keys)
    counts = Counter(key.split('.')[0] for key in keys)
    first = {}
    for key in keys:
        first.setdefault(key.split('.')[0], key)
    shown = [f'{module} ({count}, e.g. {first[module]})'
             for module, count in counts.most_common(_MAX_KEYS_SHOWN)]
    if len(counts) > _MAX_KEYS_SHOWN:
        shown.append(f'{len(counts) - _MAX_KEYS_SHOWN} more modules')
    return ', '.join(shown)


def _first_sentence(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].split('. ')[0].rstrip('.') if lines else ''


def _unpickling_reason(error: pickle.UnpicklingError) -> str:
    """What the restricted unpickler refused, without torch's advice."""
    match = re.search(r'WeightsUnpickler error:\s*(.+?)(?: was not an allowed|'
                      r'\.\s|\n|$)', str(error), re.S)
    refused = _first_sentence(match.group(1)) if match else 'unknown content'
    return (f'it holds objects other than tensors and plain data ({refused}); '
            'loading them could run arbitrary code, so they are refused. '
            'Use a checkpoint that holds only weights')


def _read_error(path: PathLike) -> Optional[str]:
    """Why ``path`` is not a torch checkpoint file, from its first bytes."""
    if not os.path.exists(path):
        return 'no such file'
    if os.path.isdir(path):
        return 'it is a directory'
    with open(path, 'rb') as file:
        head = file.read(16)
    if not head:
        return 'the file is empty (0 bytes)'
    if not head.startswith((_ZIP_MAGIC, _PICKLE_PROTO)):
        return (f'not a torch checkpoint (it starts with {head!r}; a zip '
                'archive written by torch.save was expected)')
    return None


def read_checkpoint(path: PathLike) -> object:
    """Load a checkpoint file restricted to tensors and plain data.

    Args:
        path (str | Path): Checkpoint file.

    Returns:
        object: What the file holds, on the CPU.

    Raises:
        CheckpointError: "cannot read checkpoint PATH: <reason>".
    """
    try:
        reason = _read_error(path)
    except OSError as error:
        reason = error.strerror or type(error).__name__
    if reason is None:
        try:
            with warnings.catch_warnings():
                # torch asks to "file an issue" for pickles of protocol > 2,
                # before refusing or loading them; our error says enough.
                warnings.filterwarnings(
                    'ignore', message='Detected pickle protocol')
                return torch.load(
                    path, map_location='cpu', weights_only=True)
        except pickle.UnpicklingError as error:
            reason = _unpickling_reason(error)
        except EOFError:
            reason = 'the file ends early (truncated)'
        except (RuntimeError, OSError, ValueError, KeyError) as error:
            reason = ('truncated, corrupt or not a torch checkpoint '
                      f'({type(error).__name__}: '
                      f'{_first_sentence(str(error))})')
    raise CheckpointError(f'cannot read checkpoint {path}: {reason}')


def extract_state_dict(checkpoint: object, path: PathLike) -> StateDict:
    """The weights of a loaded checkpoint.

    Accepts MMEngine checkpoints (``state_dict``), re-saved ones (``model``) and
    bare state dicts; a ``module.`` prefix on every key (a saved DDP wrapper) is
    removed.

    Args:
        checkpoint (object): What :func:`read_checkpoint` returned.
        path (str | Path): The file, for messages.

    Returns:
        dict[str, torch.Tensor]: The state dict.

    Raises:
        CheckpointError: when there is no dict of tensors to find.
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'cannot read checkpoint {path}: it holds a '
            f'{type(checkpoint).__name__}, not a state dict (a dict of '
            "tensors, or a dict with 'state_dict')")
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    if not checkpoint:
        raise CheckpointError(
            f'cannot read checkpoint {path}: it holds no weights (empty dict)')
    for key, value in checkpoint.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(
                f'cannot read checkpoint {path}: entry {key!r} is a '
                f'{type(value).__name__}, not a tensor; expected a state dict '
                "or a dict with 'state_dict'")
    if all(key.startswith('module.') for key in checkpoint):
        checkpoint = {key[len('module.'):]: v for key, v in checkpoint.items()}
    return dict(checkpoint)


def check_finite(state_dict: StateDict, path: PathLike) -> None:
    """Refuse NaN / inf weights.

    Raises:
        CheckpointError: naming the first non-finite tensor, its count of
            non-finite values and how many tensors are affected.
    """
    bad = []
    for key, value in state_dict.items():
        if value.is_floating_point() or value.is_complex():
            count = int((~torch.isfinite(value)).sum())
            if count:
                bad.append((key, count, value.numel()))
    if bad:
        key, count, total = bad[0]
        raise CheckpointError(
            f'checkpoint {path} has non-finite weights: {key} holds {count} '
            f'NaN/inf values of {total} (non-finite tensors: {len(bad)})')


def read_state_dict(path: PathLike) -> StateDict:
    """Read, extract and check the weights of a checkpoint file.

    Args:
        path (str | Path): Checkpoint file.

    Returns:
        dict[str, torch.Tensor]: Finite weights, on the CPU.

    Raises:
        CheckpointError: on any unreadable, empty or non-finite checkpoint.
    """
    state_dict = extract_state_dict(read_checkpoint(path), path)
    check_finite(state_dict, path)
    return state_dict


def checkpoint_format(state_dict: StateDict) -> Optional[str]:
    """``'segment-anything'``, ``'ultrasam-release'``, ``'ultrasam'`` (this
    package's keys) or None, from the keys of a state dict."""
    for name, (prefixes, _, _) in FOREIGN_FORMATS.items():
        if any(key.startswith(prefixes) for key in state_dict):
            return name
    if all(any(key.startswith(part) for key in state_dict)
           for part in ULTRASAM_PARTS):
        return 'ultrasam'
    return None


def foreign_format_hint(state_dict: StateDict, path: PathLike) -> str:
    """"it is X: convert it with CMD" for a state dict of another format, else ''."""
    found = FOREIGN_FORMATS.get(checkpoint_format(state_dict))
    if found is None:
        return ''
    _, what, command = found
    return f'it is {what}: convert it with {command.format(path=path)}'


def compare_state_dict(model: nn.Module,
                       state_dict: StateDict) -> WeightMismatch:
    """Keys and shapes in which ``state_dict`` differs from ``model``'s.

    Works on models built on the meta device (no memory, no weights).
    """
    ours = model.state_dict()
    shapes = [(key, tuple(ours[key].shape), tuple(value.shape))
              for key, value in state_dict.items()
              if key in ours and ours[key].shape != value.shape]
    return WeightMismatch(
        missing=[key for key in ours if key not in state_dict],
        unexpected=[key for key in state_dict if key not in ours],
        shapes=shapes)


def check_state_dict_fits(model: nn.Module, state_dict: StateDict,
                          path: PathLike, strict: bool = True
                          ) -> WeightMismatch:
    """Compare, and raise in strict mode when anything differs.

    Args:
        model (nn.Module): The model (may live on the meta device).
        state_dict (dict): Weights read from ``path``.
        path (str | Path): The file, for messages.
        strict (bool): Raise on any missing / unexpected key or shape
            mismatch. Defaults to True.

    Returns:
        WeightMismatch: what differs (empty in strict mode).

    Raises:
        CheckpointError: "checkpoint PATH does not fit the model: ...".
    """
    mismatch = compare_state_dict(model, state_dict)
    if strict and mismatch:
        hint = foreign_format_hint(state_dict, path)
        raise CheckpointError(
            f'checkpoint {path} does not fit the model: {mismatch.summary()}'
            + (f'; {hint}' if hint else ''))
    return mismatch


def load_state_dict_into(model: nn.Module, state_dict: StateDict,
                         path: PathLike, strict: bool = True
                         ) -> WeightMismatch:
    """Load weights already read from ``path`` into ``model``.

    Non-strict loads copy every key present in both with the same shape and
    leave the rest of the model as initialised.

    Args:
        model (nn.Module): Target model (unwrapped).
        state_dict (dict): Weights, e.g. from :func:`read_state_dict`.
        path (str | Path): The file, for messages.
        strict (bool): See :func:`check_state_dict_fits`. Defaults to True.

    Returns:
        WeightMismatch: what was not loaded (empty in strict mode).
    """
    mismatch = check_state_dict_fits(model, state_dict, path, strict)
    skipped = set(mismatch.unexpected) | {key for key, _, _ in mismatch.shapes}
    model.load_state_dict(
        {k: v for k, v in state_dict.items() if k not in skipped},
        strict=strict)
    return mismatch


def load_model_weights(model: nn.Module, path: PathLike,
                       strict: bool = True) -> WeightMismatch:
    """Read a checkpoint file and load it into ``model``.

    Args:
        model (nn.Module): Target model (unwrapped).
        path (str | Path): Checkpoint file (MMEngine, re-saved or bare state
            dict).
        strict (bool): Refuse any missing / unexpected key or shape mismatch.
            Defaults to True.

    Returns:
        WeightMismatch: what was not loaded (empty in strict mode).

    Raises:
        CheckpointError: unreadable, empty, non-finite or not fitting.
    """
    return load_state_dict_into(model, read_state_dict(path), path, strict)


def save_checkpoint(checkpoint: dict, path: PathLike) -> None:
    """``torch.save`` through a temporary file in the same folder, so that an
    interrupted save never leaves a truncated ``path`` behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with open(temporary, 'xb') as file:
            torch.save(checkpoint, file)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
