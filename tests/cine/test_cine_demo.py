"""tools/demo/cine_demo.py (and the measurements of tools/demo/image_demo.py)
end to end, in-process: a synthetic loop as DICOM, frame folder and video with
the trained demo model, and pydicom's real multi-frame cardiac ultrasound file
(no ground truth) with seeded random weights."""
import csv
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from ultrasam.apis import mask_prompts
from ultrasam.datasets.synthetic import (PhantomConfig, generate_cine_loop,
                                         write_cine_loop)

YBR = get_testdata_file('examples_ybr_color.dcm')  # 30 frames, 240 x 320
NUM_FRAMES = 6


@pytest.fixture(scope='module')
def cine(load_script):
    return load_script('tools/demo/cine_demo.py')


@pytest.fixture(scope='module')
def image_demo(load_script):
    return load_script('tools/demo/image_demo.py')


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    """A 6-frame loop written as loop.dcm (0.15 mm, 40 ms), frames/ and
    masks/, and the deepest point of its first lesion mask."""
    loop = generate_cine_loop(np.random.default_rng(0), PhantomConfig(),
                              num_frames=NUM_FRAMES)
    root = tmp_path_factory.mktemp('cine') / 'loop'
    write_cine_loop(root, loop, (0.15, 0.15), 40.0)
    x, y = mask_prompts(loop.masks[0])['point_coords'][0]
    return root, f'{int(x)},{int(y)}', loop


def read_csv(path: Path):
    with open(path, newline='') as file:
        return list(csv.DictReader(file))


def test_synthetic_dicom_loop(cine, synthetic, phantom_config,
                              demo_checkpoint, tmp_path, snapshot, capsys):
    root, point, loop = synthetic
    before = snapshot(root)
    out = tmp_path / 'out'
    cine.main([str(root / 'loop.dcm'), str(phantom_config),
               str(demo_checkpoint), '--points', point, '--out', str(out),
               '--truth', str(root / 'masks')])
    assert snapshot(root) == before
    assert f'{NUM_FRAMES} frames, {NUM_FRAMES} segmented' in \
        capsys.readouterr().out
    rows = read_csv(out / 'measurements.csv')
    assert [r['status'] for r in rows] == ['prompt'] + ['propagated'] * 5
    assert [r['time_s'] for r in rows] == [f'{0.04 * i:.4f}' for i in
                                           range(NUM_FRAMES)]
    assert {r['unit'] for r in rows} == {'mm'}
    # Measured area = 0.15^2 mm^2 per mask pixel, as the masks written.
    for index, row in enumerate(rows):
        mask = cv2.imread(str(out / 'masks' / f'{index:04d}.png'), 0) > 0
        assert float(row['area_mm2']) == pytest.approx(
            mask.sum() * 0.0225, abs=1e-3)
        assert float(row['true_area_mm2']) == pytest.approx(
            loop.masks[index].sum() * 0.0225, abs=1e-3)
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['num_frames'] == NUM_FRAMES
    assert summary['calibration']['pixel_spacing_mm'] == [0.15, 0.15]
    assert summary['calibration']['frame_time_ms'] == 40.0
    # Per-frame Dice of this loop with the demo model: 0.88-0.96.
    assert summary['mean_dice'] >= 0.85
    assert min(float(r['dice']) for r in rows) >= 0.7
    assert Image.open(out / 'overlay.gif').n_frames == NUM_FRAMES
    assert cv2.imread(str(out / 'area.png')) is not None


def test_frame_folder_with_user_calibration_and_video(
        cine, synthetic, phantom_config, demo_checkpoint, tmp_path):
    root, point, loop = synthetic
    out = tmp_path / 'folder'
    cine.main([str(root / 'frames'), str(phantom_config),
               str(demo_checkpoint), '--points', point, '--out', str(out),
               '--pixel-spacing', '0.3,0.2', '--fps', '25'])
    rows = read_csv(out / 'measurements.csv')
    mask = cv2.imread(str(out / 'masks' / '0002.png'), 0) > 0
    assert float(rows[2]['area_mm2']) == pytest.approx(mask.sum() * 0.06,
                                                       abs=1e-3)
    assert rows[1]['time_s'] == '0.0400'
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['calibration']['source'] == '--pixel-spacing'

    video = tmp_path / 'loop.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 20,
                             (256, 256))
    for frame in loop.frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    out = tmp_path / 'video'
    # The encoder in bfloat16 (--precision) tracks the lesion as well.
    cine.main([str(video), str(phantom_config), str(demo_checkpoint),
               '--points', point, '--out', str(out), '--precision', 'bf16'])
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['kind'] == 'video' and summary['num_frames'] == NUM_FRAMES
    assert summary['segmented_frames'] == NUM_FRAMES, summary
    assert summary['calibration']['frame_time_ms'] == pytest.approx(50.0)
    assert read_csv(out / 'measurements.csv')[0]['unit'] == 'px'


def test_real_multiframe_dicom_both_demos(cine, image_demo, phantom_config,
                                          init_checkpoint, tmp_path, capsys):
    """pydicom's 30-frame cardiac loop: its region calibration does not fit
    the 320x240 frames (reported, measurements in pixels); FrameTime 33.333
    ms is used. Every output keeps the 30 frames."""
    out = tmp_path / 'ybr'
    cine.main([YBR, str(phantom_config), str(init_checkpoint), '--frame',
               '10', '--points', '160,120', '--out', str(out)])
    assert 'outside the 320x240 (WxH) frame' in capsys.readouterr().out
    assert len(list((out / 'masks').glob('*.png'))) == 30
    rows = read_csv(out / 'measurements.csv')
    assert [int(r['frame']) for r in rows] == list(range(30))
    assert rows[10]['status'] == 'prompt'
    assert rows[29]['time_s'] == f'{29 * 0.033333:.4f}'
    assert Image.open(out / 'overlay.gif').n_frames == 30
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['num_frames'] == 30
    assert summary['calibration']['pixel_spacing_mm'] is None
    assert 'x 84..595, y 31..414' in summary['calibration']['problems'][0]

    overlay = tmp_path / 'frame10.png'
    image_demo.main([YBR, str(phantom_config), str(init_checkpoint),
                     '--frame', '10', '--box', '100,60,220,180', '--out',
                     str(overlay), '--pixel-spacing', '0.5'])
    result = json.loads(overlay.with_suffix('.json').read_text())
    assert result['calibration']['source'] == '--pixel-spacing'
    if result['measurements'] is not None:  # random weights: may be empty
        assert result['measurements']['unit'] == 'mm'
        assert result['measurements']['pixel_spacing'] == [0.5, 0.5]
    assert cv2.imread(str(overlay)).shape == (240, 320, 3)


def test_image_demo_measurements_in_mm(image_demo, synthetic, phantom_config,
                                       demo_checkpoint, tmp_path, capsys):
    root, point, loop = synthetic
    overlay = tmp_path / 'overlay.png'
    argv = [str(root / 'loop.dcm'), str(phantom_config), str(demo_checkpoint),
            '--points', point, '--out', str(overlay)]
    image_demo.main(argv)
    assert 'mm2, axes' in capsys.readouterr().out
    result = json.loads(overlay.with_suffix('.json').read_text())
    measured = result['measurements']
    assert measured['unit'] == 'mm' and measured['pixel_spacing'] == [
        0.15, 0.15]
    true_area = loop.masks[0].sum() * 0.0225
    assert measured['area'] == pytest.approx(true_area, rel=0.15)
    overlay.unlink()
    with pytest.raises(SystemExit):
        image_demo.parse_args(argv)  # the JSON is still there
    assert 'measurements JSON' in capsys.readouterr().err
    with pytest.raises(SystemExit, match='contradicts the DICOM'):
        image_demo.main(argv + ['--force', '--pixel-spacing', '0.2'])


@pytest.mark.parametrize('extra, match', [
    (['--out', '{frames}'], 'is the input folder'),
    (['--out', '{frames}/sub'], 'is the input folder'),
    (['--out', '{nonempty}'], 'is not empty; pass --force'),
    (['--frame', '6'], r'has 6 frame\(s\)'),
    (['--points', '300,10'], 'outside the 256x256'),
    (['--pixel-spacing', '0.2'], 'contradicts the DICOM PixelSpacing'),
    (['--fps', '10'], 'contradicts the frame time'),
    (['--truth', '{nonempty}'], 'no frame images'),
    (['--min-iou', '2'], r'--min-iou must be in \[0, 1\]'),
])
def test_refusals(cine, synthetic, phantom_config, demo_checkpoint, tmp_path,
                  snapshot, capsys, extra, match):
    root, point, _ = synthetic
    (tmp_path / 'nonempty').mkdir()
    (tmp_path / 'nonempty' / 'notes.txt').write_text('mine')
    before = snapshot(root, tmp_path)
    names = dict(frames=root / 'frames', nonempty=tmp_path / 'nonempty')
    source = root / ('frames' if '{frames}' in ' '.join(extra) else
                     'loop.dcm')
    argv = [str(source), str(phantom_config), str(demo_checkpoint),
            '--points', point, '--out', str(tmp_path / 'new')]
    argv += [arg.format(**names) for arg in extra]
    with pytest.raises(SystemExit) as exit_info:
        cine.main(argv)
    # argparse errors go to stderr (exit code 2), the tool's to the exit.
    message = f'{exit_info.value.code} {capsys.readouterr().err}'
    assert re.search(match, message), message
    assert snapshot(root, tmp_path) == before
