"""Reliability catalogue of ``tools/demo/image_demo.py``: bad inputs.

Every case must end with one line ``image_demo.py: error: ...`` naming the file
or value at fault, write nothing and leave every input file as it was. Cases
marked ``model=False`` must fail before the model is built: there the predictor
class is replaced by one that fails the test when it is used. The cases run
``main(argv)`` in-process (a subprocess costs ~5 s of imports); one case runs the
script for real to check what a user sees on the terminal.

The working cases (PNG, JPEG, DICOM frames, --force, negative values that are
inside the image) are in ``tests/tools/test_image_demo.py``.
"""
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np
import pytest
import torch
from pydicom.data import get_testdata_file

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools' / 'demo' / 'image_demo.py'
CONFIG = REPO / 'configs' / '_base_' / 'models' / 'ultrasam_vitt.py'
YBR = get_testdata_file('examples_ybr_color.dcm')  # 30 frames
PREFIX = 'image_demo.py: error: '
HEIGHT, WIDTH = 64, 80


@dataclass
class Case:
    """A bad command line and what its error line must contain.

    ``image``, ``config``, ``args`` and ``expect`` may use ``{tmp}`` (the
    case's directory, which holds ``image.png``), ``{image}``, ``{config}``
    and ``{ckpt}``. ``--out {tmp}/out.png`` is added when ``args`` has no
    ``--out``.
    """
    name: str
    args: List[str]
    expect: List[str]
    image: str = '{tmp}/image.png'
    config: str = str(CONFIG)
    checkpoint: str = 'good'
    model: bool = False
    setup: Optional[Callable[[Path], None]] = None
    watch: List[str] = field(default_factory=list)


def write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda tmp: (tmp / name).write_bytes(data)


def thin_image(tmp: Path) -> None:
    cv2.imwrite(str(tmp / 'thin.png'), np.full((1, 5000), 90, np.uint8))


CASES = [
    # Outputs that would destroy an input or a user's file (issue 17, #4).
    Case('out_is_the_input_image', ['--points', '5,5', '--out', '{image}'],
         ['--out {image} is the input image {image}', 'refusing']),
    Case('out_is_a_symlink_to_the_input',
         ['--points', '5,5', '--out', '{tmp}/link.png'],
         ['--out {tmp}/link.png is the input image {image}'],
         setup=lambda tmp: (tmp / 'link.png').symlink_to(tmp / 'image.png')),
    Case('out_is_a_hard_link_to_the_input',
         ['--points', '5,5', '--out', '{tmp}/hard.png'],
         ['--out {tmp}/hard.png is the input image {image}'],
         setup=lambda tmp: os.link(tmp / 'image.png', tmp / 'hard.png')),
    Case('mask_out_is_the_input_image',
         ['--box', '1,2,30,40', '--mask-out', '{image}'],
         ['--mask-out {image} is the input image {image}']),
    Case('out_and_mask_out_are_one_file',
         ['--points', '5,5', '--out', '{tmp}/o.png', '--mask-out',
          '{tmp}/o.png'], ['--out and --mask-out are the same file']),
    Case('out_exists_without_force',
         ['--points', '5,5', '--out', '{tmp}/old.png'],
         ['--out {tmp}/old.png already exists; pass --force'],
         setup=write('old.png', b'user data')),
    Case('mask_out_exists_without_force',
         ['--points', '5,5', '--mask-out', '{tmp}/old.png'],
         ['--mask-out {tmp}/old.png already exists; pass --force'],
         setup=write('old.png', b'user data')),
    Case('out_ends_in_a_slash', ['--points', '5,5', '--out', '{tmp}/o.png/'],
         ['--out {tmp}/o.png/ is a directory']),
    Case('out_is_a_directory', ['--points', '5,5', '--out', '{tmp}/dir.png'],
         ['--out {tmp}/dir.png is a directory'],
         setup=lambda tmp: (tmp / 'dir.png').mkdir()),
    Case('out_below_a_file', ['--points', '5,5', '--out', '{image}/o.png'],
         ['--out {image}/o.png: {image} is not a directory']),
    Case('out_without_an_image_suffix',
         ['--points', '5,5', '--out', '{tmp}/o.txt'],
         ['--out {tmp}/o.txt: the file name must end in one of .png']),
    Case('mask_out_lossy', ['--points', '5,5', '--mask-out', '{tmp}/m.jpg'],
         ['--mask-out {tmp}/m.jpg: the file name must end in one of .png']),
    # Prompts.
    Case('point_negative_x', ['--points', '-5,10'],
         [f'--points -5,10 is outside the {WIDTH}x{HEIGHT} (WxH) image '
          '{image}']),
    Case('point_negative_equals_form', ['--points=-5,10'],
         ['--points -5,10 is outside']),
    Case('second_point_negative_y', ['--points', '5,5', '3,-0.5,0'],
         ['--points 3,-0.5 is outside']),
    Case('point_at_the_width', ['--points', f'{WIDTH},10'],
         [f'--points {WIDTH},10 is outside']),
    Case('box_negative', ['--box', '-1,2,30,40'],
         ['--box -1,2,30,40 is outside the', '{image}']),
    Case('box_at_the_height', ['--box', f'1,2,30,{HEIGHT}'],
         [f'--box 1,2,30,{HEIGHT} is outside']),
    Case('box_reversed', ['--box', '30,2,1,40'],
         ["--box '30,2,1,40': expected finite X1,Y1,X2,Y2 with X1<=X2"]),
    Case('box_infinite', ['--box', '0,0,inf,5'], ["--box '0,0,inf,5'"]),
    Case('point_nan', ['--points', 'nan,5'],
         ["--points 'nan,5': coordinates must be finite"]),
    Case('point_label_not_0_or_1', ['--points', '1,2,5'],
         ["--points '1,2,5': label must be 1 (foreground) or 0"]),
    Case('point_label_fraction', ['--points', '1,2,0.9'],
         ["--points '1,2,0.9': expected X,Y or X,Y,LABEL"]),
    Case('point_not_numbers', ['--points', 'a,b'],
         ["--points 'a,b': expected X,Y"]),
    Case('points_without_values', ['--box', '1,2,3,4', '--points'],
         ['argument --points: expected at least one argument']),
    Case('no_prompt', [], ['give at least one prompt']),
    # Input files.
    Case('image_missing', ['--points', '5,5'],
         ['image file not found: {tmp}/missing.png'],
         image='{tmp}/missing.png'),
    Case('image_is_a_directory', ['--points', '5,5'],
         ['image {tmp} is not a file'], image='{tmp}'),
    Case('image_0_byte', ['--points', '5,5'],
         ['{tmp}/empty.png: empty file (0 bytes)'], image='{tmp}/empty.png',
         setup=write('empty.png', b'')),
    Case('image_text_named_png', ['--points', '5,5'],
         ['{tmp}/text.png: not a decodable image'], image='{tmp}/text.png',
         setup=write('text.png', b'not an image\n')),
    Case('dicom_frame_out_of_range', ['--frame', '30', '--box', '1,2,3,4'],
         [f'{YBR}: frame 30 requested but the DICOM file has 30 frame'],
         image=YBR, watch=[YBR]),
    Case('frame_of_a_png', ['--frame', '2', '--points', '5,5'],
         ['{image}: frame=2 was requested but only DICOM files']),
    Case('frame_negative', ['--frame', '-1', '--points', '5,5'],
         ['{image}: frame must be a non-negative integer, got -1']),
    Case('config_missing', ['--points', '5,5'],
         ['config file not found: {tmp}/missing.py'],
         config='{tmp}/missing.py'),
    Case('checkpoint_missing', ['--points', '5,5'],
         ['checkpoint file not found: {ckpt}'], checkpoint='missing'),
    Case('device_unknown', ['--points', '5,5', '--device', 'gpu'],
         ["--device 'gpu' is not a torch device"]),
    # Found once the model is built: the image size against its input size,
    # broken configs and checkpoints (a colleague's checkpoint reader will
    # word the latter; the line must name the file either way).
    Case('image_1x5000', ['--points', '5,0'],
         ['{tmp}/thin.png: the 1x5000 (HxW) image is too elongated',
          'would be 0x256'],
         image='{tmp}/thin.png', setup=thin_image, model=True),
    Case('checkpoint_0_byte', ['--points', '5,5'], ['{ckpt}'],
         checkpoint='zero', model=True),
    Case('checkpoint_text', ['--points', '5,5'], ['{ckpt}'],
         checkpoint='text', model=True),
    Case('checkpoint_truncated', ['--points', '5,5'], ['{ckpt}'],
         checkpoint='truncated', model=True),
    Case('checkpoint_of_another_model', ['--points', '5,5'], ['{ckpt}'],
         checkpoint='other_model', model=True),
    Case('checkpoint_with_nan_weights', ['--points', '5,5'], ['{ckpt}'],
         checkpoint='nan', model=True),
    # Finite weights whose outputs overflow: only the output check sees it.
    Case('checkpoint_with_overflowing_weights', ['--points', '5,5'],
         ['non-finite mask logits', '{ckpt}',
          'nothing was written'], checkpoint='overflow', model=True),
    Case('config_syntax_error', ['--points', '5,5'],
         ['cannot build the model of {tmp}/bad.py', 'SyntaxError'],
         config='{tmp}/bad.py', setup=write('bad.py', b'model = dict(\n'),
         model=True),
    Case('config_without_model', ['--points', '5,5'],
         ['cannot build the model of {tmp}/empty.py', 'has no model entry'],
         config='{tmp}/empty.py', setup=write('empty.py', b'x = 1\n'),
         model=True),
]


@pytest.fixture(scope='module')
def demo(load_script) -> ModuleType:
    return load_script('tools/demo/image_demo.py')


@pytest.fixture(scope='module')
def checkpoints(init_checkpoint: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """The tiny model's checkpoint and broken variants of it, by name."""
    root = tmp_path_factory.mktemp('checkpoints')
    good = init_checkpoint.read_bytes()
    state = torch.load(init_checkpoint, weights_only=True)['state_dict']
    iou_weight = 'mask_decoder.iou_prediction_head.layers.0.weight'
    variants = dict(
        nan={'mask_decoder.iou_token.weight': float('nan')},
        overflow={iou_weight: 3e38})
    for name, values in variants.items():
        broken = dict(state)
        for key, value in values.items():
            broken[key] = torch.full_like(state[key], value)
        torch.save(dict(state_dict=broken), root / f'{name}.pth')
    torch.save(dict(state_dict={'head.weight': torch.zeros(2)}),
               root / 'other_model.pth')
    (root / 'zero.pth').write_bytes(b'')
    (root / 'text.pth').write_bytes(b'not a checkpoint\n')
    (root / 'truncated.pth').write_bytes(good[:len(good) // 2])
    paths = {p.stem: p for p in root.iterdir()}
    paths.update(good=init_checkpoint, missing=root / 'missing.pth')
    return paths


def error_line(exc: pytest.ExceptionInfo, err: str) -> str:
    """The line a user sees: ``sys.exit``'s message or argparse's last one."""
    code = exc.value.code
    if isinstance(code, str):
        assert '\n' not in code
        return code
    assert code == 2  # argparse: usage lines, then one error line
    lines = err.strip().splitlines()
    assert [line for line in lines if PREFIX in line] == [lines[-1]]
    return lines[-1]


@pytest.mark.parametrize('case', CASES, ids=lambda case: case.name)
def test_bad_input_gets_one_clear_line(case, demo, checkpoints, snapshot,
                                       tmp_path, monkeypatch, capsys):
    cv2.imwrite(str(tmp_path / 'image.png'),
                np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH),
                                                  np.uint8))
    if case.setup is not None:
        case.setup(tmp_path)
    names = dict(tmp=tmp_path, ckpt=checkpoints[case.checkpoint])
    names.update(
        image=case.image.format(**names), config=case.config.format(**names))
    argv = [names['image'], names['config'], str(names['ckpt'])]
    argv += [arg.format(**names) for arg in case.args]
    if not any(arg.startswith('--out') for arg in case.args):
        argv += ['--out', f'{tmp_path}/out.png']
    if not case.model:

        def unbuildable(*args, **kwargs):
            pytest.fail('the model was built before the error was found')

        monkeypatch.setattr(demo, 'load_predictor', unbuildable)
    watched = [tmp_path, CONFIG, checkpoints['good'], *case.watch]
    if names['ckpt'].exists():
        watched.append(names['ckpt'])
    before = snapshot(*watched)

    with pytest.raises(SystemExit) as exc:
        demo.main(argv)

    line = error_line(exc, capsys.readouterr().err)
    assert line.startswith(PREFIX)
    for text in case.expect:
        assert text.format(**names) in line
    assert snapshot(*watched) == before


def test_a_real_run_prints_one_line(checkpoints, snapshot, tmp_path):
    """``--points -5,10`` as typed in a shell: one stderr line, exit 1."""
    image = tmp_path / 'image.png'
    cv2.imwrite(str(image), np.zeros((HEIGHT, WIDTH), np.uint8))
    before = snapshot(tmp_path)
    result = subprocess.run([
        sys.executable, SCRIPT, image, CONFIG, checkpoints['good'], '--points',
        '-5,10', '--out', tmp_path / 'out.png'
    ], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr == (
        f'{PREFIX}--points -5,10 is outside the {WIDTH}x{HEIGHT} (WxH) image '
        f'{image}\n')
    assert snapshot(tmp_path) == before
