"""RemoveOverlays on phantoms with synthetic overlays (the README measurement,
smaller), the transform's interface, and the offline folder tool."""
import json
import shutil

import cv2
import numpy as np
import pytest
from pydicom.data import get_testdata_file

from mmdet.registry import TRANSFORMS
from synthetic_overlays import KINDS, measure_all, phantoms
from ultrasam.datasets.transforms.remove_overlays import (detect_overlays,
                                                          remove_overlays)


@pytest.fixture(scope='module')
def figures():
    return measure_all(num_images=12, seed=1)


@pytest.mark.parametrize('kind', KINDS)
def test_overlays_are_removed(figures, kind):
    row = figures[kind]
    assert row['inpainted'] >= 0.85
    assert row['visible'] <= 0.2
    assert row['error_after'] < 0.3 * row['error_before']
    assert row['tissue_changed'] <= 0.005


def test_clean_phantoms_are_untouched(figures):
    row = figures['none (clean phantoms)']
    assert row['tissue_changed'] == 0


def test_tinted_b_mode_keeps_its_colour():
    grey = phantoms(1, seed=3)[0]
    # BGR = (0.6, 0.8, 1.0) x grey: many pixels have channels 40 levels apart.
    sepia = cv2.transform(grey, np.array([[0.2] * 3, [0.8 / 3] * 3,
                                          [1 / 3] * 3]))
    assert (sepia.max(axis=2).astype(int) - sepia.min(axis=2) >= 40).mean() > 0.1
    assert not detect_overlays(sepia).any()
    boxed = sepia.copy()
    cv2.rectangle(boxed, (60, 60), (120, 100), (0, 255, 0), 1)
    found = detect_overlays(boxed)
    drawn = np.abs(boxed.astype(int) - sepia).max(axis=2) > 0
    assert (found & drawn).sum() >= 0.9 * drawn.sum()
    assert not (found & ~drawn).any()


def test_transform_in_a_pipeline():
    image = phantoms(1, seed=4)[0]
    marked = image.copy()
    cv2.putText(marked, 'GAIN 54', (40, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                (255, 255, 255), 1, cv2.LINE_AA)
    transform = TRANSFORMS.build(dict(type='RemoveOverlays'))
    results = transform(dict(img=marked))
    assert 0 < results['overlay_fraction'] < 0.02
    cleaned = results['img']
    assert cleaned.shape == image.shape and cleaned.dtype == np.uint8
    assert np.abs(cleaned.astype(int) - image).max(axis=2)[45:65,
                                                           38:110].mean() < 20
    grey, mask = remove_overlays(marked[..., 0])
    assert grey.ndim == 2 and mask.any()
    clean = phantoms(1, seed=5)[0]
    assert transform(dict(img=clean))['img'] is clean


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(colour_thresh=40), TypeError, r"unknown argument\(s\) "
     r"\['colour_thresh'\]"),
    (dict(inpaint_radius=0), ValueError, 'inpaint_radius must be >= 1'),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        TRANSFORMS.build(dict(type='RemoveOverlays', **kwargs))


def test_bad_images():
    with pytest.raises(ValueError, match='uint8 image, got float32'):
        detect_overlays(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='tophat_size must be odd'):
        detect_overlays(np.zeros((8, 8), np.uint8), tophat_size=4)


@pytest.fixture
def scans(tmp_path):
    folder = tmp_path / 'scans'
    (folder / 'sub').mkdir(parents=True)
    image = phantoms(1, seed=6)[0]
    marked = image.copy()
    cv2.drawMarker(marked, (100, 100), (255, 255, 255), cv2.MARKER_CROSS, 11)
    cv2.imwrite(str(folder / 'a.png'), marked)
    cv2.imwrite(str(folder / 'sub' / 'b.jpg'), image)
    shutil.copy(get_testdata_file('examples_ybr_color.dcm'),
                folder / 'loop.dcm')
    (folder / 'broken.png').write_bytes(b'\x89PNG broken')
    (folder / 'readme.txt').write_text('not an image')
    return folder


def test_tool_cleans_a_folder(load_script, scans, tmp_path, snapshot):
    tool = load_script('tools/dataset_converters/remove_overlays.py')
    before = snapshot(scans)
    out = tmp_path / 'clean'
    tool.main([str(scans), str(out), '--frame-stride', '10'])
    assert snapshot(scans) == before
    written = sorted(p.relative_to(out).as_posix()
                     for p in out.rglob('*.png'))
    assert written == ['a.png', 'loop__f0000.png', 'loop__f0010.png',
                       'loop__f0020.png', 'sub/b.png']
    report = json.loads((out / 'overlay_report.json').read_text())
    by_output = {entry['output']: entry for entry in report['images']}
    assert by_output['a.png']['overlay_fraction'] > 0
    assert by_output['loop__f0010.png']['frame'] == 10
    assert [entry['source'] for entry in report['skipped']] == [
        str(scans / 'broken.png')]
    cleaned = cv2.imread(str(out / 'a.png'))
    assert cleaned[100, 96:105].max() < 250


@pytest.mark.parametrize('case', ['not empty', 'inside input', 'collision',
                                  'no input'])
def test_tool_refusals(load_script, scans, tmp_path, snapshot, case):
    tool = load_script('tools/dataset_converters/remove_overlays.py')
    out = tmp_path / 'clean'
    if case == 'not empty':
        out.mkdir()
        (out / 'keep.txt').write_text('mine')
    elif case == 'inside input':
        out = scans / 'clean'
    elif case == 'collision':
        cv2.imwrite(str(scans / 'a.jpg'), np.zeros((8, 8, 3), np.uint8))
    source = scans if case != 'no input' else tmp_path / 'absent'
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        tool.main([str(source), str(out)])
    message = str(exit_info.value)
    assert message.startswith('remove_overlays.py: error: ')
    assert {'not empty': 'never overwritten', 'inside input': 'overlaps',
            'collision': 'would both be written to a.png',
            'no input': 'not a directory'}[case] in message
    assert snapshot(tmp_path) == before
