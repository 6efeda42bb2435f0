"""The command line shared by the checkpoint converters (tools/model_converters).

Each converter supplies only its key mapping; this module reads the source safely,
recognises a checkpoint of another format, refuses a result that lacks part of the
model, and never overwrites the source (or any existing file without ``--force``).
"""
import argparse
import os
from typing import Callable, List, NoReturn, Optional, Sequence

from .checkpoint import (FOREIGN_FORMATS, CheckpointError, StateDict,
                         checkpoint_format, read_state_dict, save_checkpoint)

# Sub-modules every converted UltraSam state dict has, by model part.
REQUIRED_MODULES = {
    'image encoder': ('backbone.patch_embed.', 'backbone.pos_embed',
                      'backbone.layers.', 'backbone.channel_reduction.'),
    'prompt encoder': ('prompt_encoder.pe_layer.',
                       'prompt_encoder.point_embeddings.',
                       'prompt_encoder.not_a_point_embed.',
                       'prompt_encoder.no_mask_embed.',
                       'prompt_encoder.mask_downscaling.'),
    'mask decoder': ('mask_decoder.transformer.', 'mask_decoder.iou_token.',
                     'mask_decoder.mask_tokens.',
                     'mask_decoder.output_upscaling.',
                     'mask_decoder.output_hypernetworks_mlps.',
                     'mask_decoder.iou_prediction_head.'),
}


def missing_modules(state_dict: StateDict) -> List[str]:
    """``'mask decoder (mask_decoder.iou_token., ...)'`` per incomplete part."""
    missing = []
    for part, prefixes in REQUIRED_MODULES.items():
        absent = [prefix for prefix in prefixes
                  if not any(key.startswith(prefix) for key in state_dict)]
        if absent:
            missing.append(f'{part} ({", ".join(absent)})')
    return missing


def output_path_problem(src: str, dst: str, force: bool) -> Optional[str]:
    """Why ``dst`` must not be written, or None."""
    if os.path.isdir(dst):
        return f'output {dst} is a directory; give a file name'
    if os.path.exists(src) and os.path.exists(dst) and os.path.samefile(
            src, dst):
        return (f'output {dst} is the input checkpoint {src} (the same '
                'file); refusing to overwrite it, choose another output path')
    if os.path.lexists(dst) and not force:
        return f'output {dst} exists; pass --force to overwrite it'
    return None


def converter_main(tool: str,
                   description: str,
                   source_format: str,
                   convert: Callable[[StateDict], StateDict],
                   note: str = '',
                   argv: Optional[Sequence[str]] = None) -> None:
    """Run a converter: ``TOOL SRC DST [--force]``.

    Args:
        tool (str): The script's file name, prefixing errors.
        description (str): The tool's one-line description.
        source_format (str): The key of :data:`FOREIGN_FORMATS` it converts.
        convert (callable): Maps the source state dict to UltraSam's; raises
            KeyError / ValueError on keys it cannot map.
        note (str): Appended to the "saved N tensors to DST" line.
        argv (Sequence[str], optional): Arguments; defaults to ``sys.argv``.
    """
    parser = argparse.ArgumentParser(prog=tool, description=description)
    parser.add_argument('src', help=f'{source_format} checkpoint')
    parser.add_argument('dst', help='output UltraSam checkpoint')
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing DST')
    args = parser.parse_args(argv)

    def fail(message: str) -> NoReturn:
        raise SystemExit(f'{tool}: error: {message}')

    problem = output_path_problem(args.src, args.dst, args.force)
    if problem:
        fail(problem)
    try:
        state_dict = read_state_dict(args.src)
    except CheckpointError as error:
        fail(str(error))
    found = checkpoint_format(state_dict)
    if found == 'ultrasam':
        fail(f'{args.src} is already an UltraSam checkpoint of this package '
             '(backbone.*, prompt_encoder.*, mask_decoder.* keys): it needs '
             'no conversion, load it directly (e.g. tools/test.py CONFIG '
             f'{args.src})')
    if found is not None and found != source_format:
        _, what, command = FOREIGN_FORMATS[found]
        fail(f'{args.src} is {what}, not a {source_format} checkpoint: '
             f'convert it with {command.format(path=args.src)}')
    try:
        converted = convert(state_dict)
    except (KeyError, ValueError) as error:
        fail(f'{args.src}: {error.args[0]}')
    missing = missing_modules(converted)
    if missing:
        fail(f'{args.src} lacks parts of the model, so no checkpoint was '
             f'written: {"; ".join(missing)}')
    save_checkpoint(
        dict(state_dict=converted, meta=dict(converted_from=args.src)),
        args.dst)
    print(f'saved {len(converted)} tensors to {args.dst}{note}')
