"""Tests of the synthetic B-mode phantom generator and its COCO writer."""
import json
import runpy
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from ultrasam.datasets.synthetic import (LESION_TYPES, PHANTOM_VERSION,
                                         PhantomConfig, generate_phantom,
                                         write_phantom_coco)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'dataset_converters' / 'make_phantom.py'


@pytest.fixture(scope='module')
def samples():
    return [generate_phantom(np.random.default_rng(seed)) for seed in range(16)]


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)


def _read_tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


def test_image_is_uint8_speckle_inside_fov(samples):
    for sample in samples:
        assert sample.image.dtype == np.uint8 and sample.image.shape == (256, 256)
        assert sample.fov.shape == (256, 256) and sample.fov.mean() > 0.4
        assert not sample.image[~sample.fov].any()
        tissue = sample.fov.copy()
        for instance in sample.instances:
            tissue &= ~instance['mask']
        # Fully developed speckle: a large spread and little correlation
        # between pixels two apart.
        assert sample.image[tissue].std() > 12
        diff = np.abs(sample.image[:, 2:].astype(int) - sample.image[:, :-2])
        assert np.median(diff[tissue[:, 2:] & tissue[:, :-2]]) > 8
    assert {s.probe for s in samples} == {'linear', 'curved'}


def test_masks_nonempty_disjoint_and_inside_fov(samples):
    min_area = PhantomConfig().min_area_frac * 256 * 256
    for sample in samples:
        assert 1 <= len(sample.instances) <= 4
        union = np.zeros((256, 256), dtype=int)
        for instance in sample.instances:
            mask = instance['mask']
            assert mask.dtype == bool and mask.shape == (256, 256)
            assert mask.sum() >= min_area
            assert not (mask & ~sample.fov).any()
            union += mask
        assert union.max() == 1


def test_all_lesion_types_appear(samples):
    types = {i['lesion_type'] for s in samples for i in s.instances}
    assert types == set(LESION_TYPES)
    posteriors = {i['posterior'] for s in samples for i in s.instances}
    assert posteriors == {'shadow', 'enhancement', 'none'}


def test_lesion_contrast_against_surrounding_ring(samples):
    for sample in samples:
        lesions = np.zeros((256, 256), dtype=bool)
        for instance in sample.instances:
            lesions |= instance['mask']
        for instance in sample.instances:
            mask = instance['mask'].astype(np.uint8)
            ring = ((cv2.dilate(mask, _disk(8)) > 0) & ~(cv2.dilate(mask, _disk(2)) > 0)
                    & sample.fov & ~lesions)
            contrast = sample.image[mask > 0].mean() - sample.image[ring].mean()
            if instance['lesion_type'] == 'hyperechoic':
                assert contrast > 15, contrast
            else:
                assert contrast < -15, contrast


def test_generate_is_deterministic():
    first = generate_phantom(np.random.default_rng(7))
    second = generate_phantom(np.random.default_rng(7))
    other = generate_phantom(np.random.default_rng(8))
    assert np.array_equal(first.image, second.image)
    assert [i['lesion_type'] for i in first.instances] == [
        i['lesion_type'] for i in second.instances]
    for a, b in zip(first.instances, second.instances):
        assert np.array_equal(a['mask'], b['mask'])
    assert not np.array_equal(first.image, other.image)


def test_write_is_byte_identical_per_seed(tmp_path):
    write_phantom_coco(tmp_path / 'a', 3, 2, seed=5)
    write_phantom_coco(tmp_path / 'b', 3, 2, seed=5)
    write_phantom_coco(tmp_path / 'c', 3, 2, seed=6)
    # Split sizes do not change the images both runs have.
    write_phantom_coco(tmp_path / 'd', 2, 1, seed=5)
    a, b, c, d = (_read_tree(tmp_path / name) for name in 'abcd')
    assert sorted(a) == [
        'annotations/test.json', 'annotations/train.json', 'images/test/000001.png',
        'images/test/000002.png', 'images/train/000001.png', 'images/train/000002.png',
        'images/train/000003.png']
    assert a == b
    assert sorted(c) == sorted(a)
    assert all(a[name] != c[name] for name in a)
    assert all(d[name] == a[name] for name in d if name.endswith('.png'))


def test_coco_annotations_match_generated_masks(tmp_path):
    write_phantom_coco(tmp_path, 3, 2, seed=11)
    for split_index, split in enumerate(('train', 'test')):
        ann_file = tmp_path / 'annotations' / f'{split}.json'
        info = json.loads(ann_file.read_text())['info']
        assert info['seed'] == 11 and info['generator_version'] == PHANTOM_VERSION
        coco = COCO(str(ann_file))
        assert coco.loadCats(coco.getCatIds()) == [{'id': 1, 'name': 'object'}]
        ann_ids = sorted(coco.getAnnIds())
        assert ann_ids == list(range(1, len(ann_ids) + 1))
        for index, image_id in enumerate(sorted(coco.getImgIds())):
            image_info = coco.loadImgs(image_id)[0]
            assert image_info['file_name'] == f'{split}/{image_id:06d}.png'
            # The writer's documented seeding: (seed, split index, image index).
            sample = generate_phantom(np.random.default_rng(
                np.random.SeedSequence(11, spawn_key=(split_index, index))))
            image = cv2.imread(str(tmp_path / 'images' / image_info['file_name']),
                               cv2.IMREAD_UNCHANGED)
            assert np.array_equal(image, sample.image)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
            assert len(anns) == len(sample.instances)
            for ann, instance in zip(anns, sample.instances):
                decoded = coco.annToMask(ann).astype(bool)
                assert np.array_equal(decoded, instance['mask'])
                assert ann['lesion_type'] == instance['lesion_type']
                assert ann['category_id'] == 1 and ann['iscrowd'] == 0
                assert ann['area'] == decoded.sum()
                rows, cols = np.nonzero(decoded)
                x0, y0 = cols.min(), rows.min()
                assert ann['bbox'] == [x0, y0, cols.max() - x0 + 1, rows.max() - y0 + 1]


def test_overwrite_replaces_only_its_own_set(tmp_path):
    out = tmp_path / 'phantom'
    write_phantom_coco(out, 3, 1, seed=0)
    before = _read_tree(out)
    with pytest.raises(FileExistsError, match='refusing to overwrite'):
        write_phantom_coco(out, 1, 1, seed=1)
    assert _read_tree(out) == before
    # A file the generator did not write makes the directory the user's.
    (out / 'notes.txt').write_text('user data')
    with pytest.raises(FileExistsError, match='did not write: notes.txt'):
        write_phantom_coco(out, 1, 1, seed=1, overwrite=True)
    (out / 'notes.txt').unlink()
    assert _read_tree(out) == before
    write_phantom_coco(out, 1, 1, seed=1, overwrite=True)
    # Stale images of the earlier, larger run are gone.
    assert sorted(p.name for p in (out / 'images' / 'train').iterdir()) == [
        '000001.png']
    # Nothing is left next to the set (the staging and replaced directories).
    assert [p.name for p in tmp_path.iterdir()] == ['phantom']


def test_cli_writes_dataset_and_refuses_overwrite(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'phantom'
    args = ['--out', str(out), '--num-train', '2', '--num-test', '1', '--seed', '3']
    result = subprocess.run([sys.executable, str(SCRIPT)] + args, capture_output=True,
                            text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert len(COCO(str(out / 'annotations' / 'train.json')).getImgIds()) == 2
    before = _read_tree(out)
    # The second run goes in-process: a subprocess would re-import the whole package.
    monkeypatch.setattr(sys, 'argv', [str(SCRIPT)] + args)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name='__main__')
    assert 'refusing to overwrite' in str(exit_info.value.code)
    assert '--overwrite' in str(exit_info.value.code)
    assert _read_tree(out) == before


def test_config_validation():
    with pytest.raises(ValueError, match='sum to 1'):
        PhantomConfig(lesion_type_probs=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match='min_area_frac'):
        PhantomConfig(min_area_frac=0.1)
    with pytest.raises(ValueError, match='image_size'):
        write_phantom_coco('unused', 1, 1, seed=0, image_size=128,
                           config=PhantomConfig(image_size=256))
