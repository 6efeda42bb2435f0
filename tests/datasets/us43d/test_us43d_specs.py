"""Every US-43d spec, built end to end from a fixture in its real layout."""
from collections import Counter

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from ultrasam.datasets.us43d import all_specs, get_spec
from us43d_fixtures import hash_tree, structure_counts

SPECS = [s.name for s in all_specs()]
SPLITS = ('train', 'val', 'test')


def test_43_specs_each_with_a_fixture(built):
    assert len(SPECS) == 43 == len(set(SPECS))
    assert set(built.expected) == set(SPECS)


@pytest.mark.parametrize('name', SPECS)
def test_dataset_builds_as_expected(built, name):
    spec, expect = get_spec(name), built.expected[name]
    report = built.manifest['datasets'][name]
    assert report['status'] == 'built'
    parts = {split: built.coco(split, spec.slug) for split in SPLITS}
    images = [img for coco in parts.values() for img in coco['images']]
    assert len(images) == expect.images
    counts = sum((structure_counts(coco) for coco in parts.values()),
                 Counter())
    assert dict(counts) == expect.structures
    if expect.test_images is not None:
        assert len(parts['test']['images']) == expect.test_images
    if expect.val_images is not None:
        assert len(parts['val']['images']) == expect.val_images
    assert report['small_removed'] == expect.small_removed
    for reason, count in expect.skips.items():
        found = sum(v['count'] for k, v in report['skipped'].items()
                    if reason in k)
        assert found == count, (reason, report['skipped'])
    for value in expect.unexpected:
        assert value in report['unexpected_values'], report[
            'unexpected_values']

    names = {c['id']: c['name'] for c in parts['train']['categories']}
    assert list(names.values()) == list(spec.categories)
    for coco in parts.values():
        by_id = {img['id']: img for img in coco['images']}
        for ann in coco['annotations']:
            assert names[ann['category_id']] == ann['structure']
            image = by_id[ann['image_id']]
            decoded = mask_utils.decode(ann['segmentation'])
            assert decoded.shape == (image['height'], image['width'])
            assert decoded.sum() == ann['area'] >= 16
            # One instance is one 8-connected component.
            assert cv2.connectedComponents(decoded, connectivity=8)[0] == 2
    for image in images:
        assert image['source'] == name
        assert image['group'].startswith(f'{spec.namespace}/')
        assert image['file_name'].startswith(f'{spec.slug}/')
        pixels = cv2.imread(str(built.out / 'images' / image['file_name']),
                            cv2.IMREAD_UNCHANGED)
        assert pixels.shape[:2] == (image['height'], image['width'])
    groups = [{img['group'] for img in parts[s]['images']} for s in SPLITS]
    assert not (groups[0] & groups[1] or groups[0] & groups[2]
                or groups[1] & groups[2])


def test_raw_tree_unchanged(built):
    assert hash_tree(built.raw) == built.raw_hashes


def test_merged_files_are_class_agnostic_and_leak_free(built):
    seen_groups, total = {}, 0
    image_ids, ann_ids = set(), set()
    for split in SPLITS:
        coco = built.coco(split)
        assert coco['categories'] == [
            dict(id=1, name='object', supercategory='none')
        ]
        for image in coco['images']:
            assert seen_groups.setdefault(image['group'], split) == split
            assert image['id'] not in image_ids
            image_ids.add(image['id'])
        for ann in coco['annotations']:
            assert ann['category_id'] == 1 and ann['structure']
            assert ann['id'] not in ann_ids
            ann_ids.add(ann['id'])
        total += len(coco['images'])
    assert total == sum(e.images for e in built.expected.values())
    # MicroSeg and MUP hold the same patients: one split per patient.
    assert any(g.startswith('Zenodo-10475293/') for g in seen_groups)


def test_official_splits_and_groups(built):

    def split_of(slug):
        return {img['original_file'].rsplit('/', 1)[-1] + str(
            img.get('source_frame', '')): split
                for split in SPLITS
                for img in built.coco(split, slug)['images']}

    busbra = split_of('BUS-BRA')
    assert busbra['bus_0001-l.png'] == busbra['bus_0001-r.png'] == 'test'
    busi = split_of('BUSI')  # identical images stay together
    assert busi['benign (2).png'] == busi['malignant (1).png']
    tn3k = {img['original_file'] for img in built.coco('test',
                                                       'TN3K')['images']}
    assert all('/test-image/' in path for path in tn3k)
    tg3k = {s: {img['group'] for img in built.coco(s, 'TG3K')['images']}
            for s in SPLITS}
    assert set().union(*tg3k.values()) == {'TG3K/block00', 'TG3K/block01'}


def test_orientation_and_mask_fixes(built):

    def annotations(slug, frame):
        split_files = [built.coco(s, slug) for s in SPLITS]
        ids = {img['id'] for coco in split_files for img in coco['images']
               if img.get('source_frame') == frame}
        return [a for coco in split_files for a in coco['annotations']
                if a['image_id'] in ids]

    # ASUS: rows 2-9, columns 2-5 of a 24 px slice, turned by 180 degrees.
    assert {tuple(a['bbox']) for a in annotations('ASUS', 1)} == {
        (18., 14., 4., 8.)
    }
    # CAMUS: the atrium is cut where the image is 0 (columns >= 20).
    atria = [a for a in annotations('CAMUS', 1)
             if a['structure'] == 'left_atrium']
    assert atria and all(a['bbox'][2] == 4 for a in atria)
    # CardiacUDC: contour-only labels are filled (11 x 11).
    ventricles = [a for a in annotations('CardiacUDC', 0)
                  if a['structure'] == 'left_ventricle']
    assert ventricles and all(a['area'] == 121 for a in ventricles)
    # regPro keeps its 16-bit intensities.
    image = built.coco('train', 'regPro')['images'][0]
    pixels = cv2.imread(str(built.out / 'images' / image['file_name']),
                        cv2.IMREAD_UNCHANGED)
    assert pixels.dtype == np.uint16 and pixels.max() > 255
