"""UnlabeledUltrasoundDataset: sources, DICOM frames, hold-out list, duplicate
removal, the manifest and its reuse, and the errors of bad inputs."""
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from pydicom.data import get_testdata_file

from mmdet.registry import DATASETS
from ultrasam.datasets import (ImagePipelineError, UnlabeledDataError,
                               read_ultrasound_image)

CINE = get_testdata_file('examples_ybr_color.dcm')  # 30 frames
SINGLE_FRAME = get_testdata_file('MR_small.dcm')


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def image(seed: int, size: int = 24) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (size, size),
                                                np.uint8)


def write(path: Path, array: np.ndarray, **params) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = [cv2.IMWRITE_PNG_COMPRESSION, params['compression']] if (
        'compression' in params) else []
    assert cv2.imwrite(str(path), array, flags)
    return path


def build(manifest: Path, sources: list, **kwargs):
    return DATASETS.build(dict(
        type='UnlabeledUltrasoundDataset', ann_file=str(manifest),
        sources=sources, pipeline=kwargs.pop('pipeline', []), **kwargs))


def used(dataset) -> list:
    return [(Path(d['img_path']).name, d['frame'], d['source'])
            for d in (dataset.get_data_info(i) for i in range(len(dataset)))]


def reasons(manifest: Path) -> dict:
    data = json.loads(manifest.read_text())
    return {Path(item['path']).name: item['reason']
            for item in data['excluded']}


def test_folder_images_dicom_frames_and_skipped_files(tmp_path):
    scans = tmp_path / 'scans'
    write(scans / 'a.png', image(0))
    write(scans / 'sub' / 'b.jpg', image(1))
    write(scans / 'c.png', (image(2).astype(np.uint16) * 257))
    write(scans / 'a_mask.png', image(3))
    write(scans / '.hidden.png', image(4))
    (scans / 'notes.txt').write_text('not an image')
    shutil.copy(CINE, scans / 'loop.dcm')
    shutil.copy(SINGLE_FRAME, scans / 'IM0001')  # DICOM without suffix
    dataset = build(tmp_path / 'manifest.json',
                    [dict(folder=str(scans), exclude=['*_mask*'])],
                    frame_stride=4)
    names = used(dataset)
    assert ('a.png', None, 'scans') in names
    assert ('b.jpg', None, 'scans') in names
    assert ('c.png', None, 'scans') in names
    assert ('IM0001', None, 'scans') in names
    assert [f for n, f, _ in names if n == 'loop.dcm'] == list(range(0, 30, 4))
    assert not {'a_mask.png', '.hidden.png', 'notes.txt'} & {
        n for n, _, _ in names}


def test_pipeline_reads_the_listed_frame(tmp_path):
    folder = tmp_path / 'cine'
    folder.mkdir()
    shutil.copy(CINE, folder / 'loop.dcm')
    dataset = build(tmp_path / 'manifest.json', [dict(folder=str(folder))],
                    frame_stride=29,
                    pipeline=[dict(type='LoadUltrasoundImage')])
    assert [d['frame'] for d in map(dataset.get_data_info, range(2))] == [
        0, 29]
    np.testing.assert_array_equal(dataset[1]['img'],
                                  read_ultrasound_image(CINE, 29))


def test_exact_duplicates_keep_the_first(tmp_path):
    write(tmp_path / 'one' / 'x.png', image(0))
    write(tmp_path / 'two' / 'x_copy.png', image(0))
    # The same pixels encoded differently: a duplicate only by pixels.
    write(tmp_path / 'two' / 'x_recompressed.png', image(0), compression=0)
    sources = [dict(folder=str(tmp_path / 'one')),
               dict(folder=str(tmp_path / 'two'))]
    by_file = build(tmp_path / 'file.json', sources)
    assert [n for n, _, _ in used(by_file)] == ['x.png', 'x_recompressed.png']
    assert reasons(tmp_path / 'file.json') == {
        'x_copy.png': f'duplicate of {tmp_path / "one" / "x.png"}'}
    by_pixels = build(tmp_path / 'pixels.json', sources,
                      deduplicate='pixels')
    assert [n for n, _, _ in used(by_pixels)] == ['x.png']
    no_hash = build(tmp_path / 'none.json', sources, deduplicate=None)
    assert len(no_hash) == 3


def test_holdout_by_name_alias_and_content(tmp_path):
    root = tmp_path / 'openus'
    write(root / 'BUS_BRA' / 'bus_0001-l.png', image(0))
    write(root / 'OTU_2d' / 'images' / '1.png', image(1))
    write(root / 'Other' / 'copied_from_busbra.png', image(0))
    write(root / 'Other' / 'own.png', image(2))
    gist = tmp_path / 'downloads' / 'usd514'
    write(gist / 'g1.png', image(3))
    write(root / 'Other' / 'copied_from_gist.png', image(3))
    manifest = tmp_path / 'manifest.json'
    dataset = build(manifest, [dict(folder=str(root), per_subfolder=True)],
                    holdout_folders=[str(gist)])
    assert used(dataset) == [('own.png', None, 'Other')]
    found = reasons(manifest)
    assert found['bus_0001-l.png'] == 'held out (BUS-BRA)'
    assert found['1.png'] == 'held out (MMOTU-2D)'
    assert found['copied_from_busbra.png'].startswith(
        'copy of held-out image ')
    assert found['copied_from_gist.png'] == (
        f'copy of held-out image {gist / "g1.png"}')
    summary = json.loads(manifest.read_text())['summary']
    assert summary['held_out'] == {'BUS-BRA': 1, 'MMOTU-2D': 1,
                                   'GIST514-DB': 0}
    assert summary['sources']['Other'] == dict(
        found=3, used=1, held_out=0, copies_of_held_out=2, duplicates=0,
        unreadable=0)


def us43d_build(root: Path) -> Path:
    """A US-43d output folder: images/<slug>/..., COCO with ``source``."""
    images = []
    for index, (source, slug) in enumerate([('BUSI', 'BUSI'),
                                            ('GIST514-DB', 'GIST514-DB'),
                                            ('brachial plexus',
                                             'brachial_plexus')]):
        file_name = f'{slug}/{index}.png'
        write(root / 'images' / file_name, image(10 + index))
        images.append(dict(id=index + 1, file_name=file_name, height=24,
                           width=24, source=source))
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'train.json').write_text(json.dumps(
        dict(images=images, annotations=[], categories=[])))
    (root / 'annotations' / 'val.json').write_text(json.dumps(
        dict(images=[], annotations=[], categories=[])))
    return root


def test_us43d_source_names_and_holdout(tmp_path):
    root = us43d_build(tmp_path / 'us43d')
    dataset = build(tmp_path / 'manifest.json',
                    [dict(us43d=str(root), splits=['train', 'val'])])
    assert [(n, s) for n, _, s in used(dataset)] == [
        ('0.png', 'BUSI'), ('2.png', 'brachial plexus')]
    assert reasons(tmp_path / 'manifest.json') == {
        '1.png': 'held out (GIST514-DB)'}


def test_manifest_is_reused_and_never_overwritten(tmp_path):
    folder = tmp_path / 'scans'
    write(folder / 'a.png', image(0))
    manifest = tmp_path / 'manifest.json'
    sources = [dict(folder=str(folder))]
    build(manifest, sources)
    content = manifest.read_bytes()
    assert len(build(manifest, sources)) == 1
    assert manifest.read_bytes() == content
    with pytest.raises(UnlabeledDataError,
                       match='other settings.*frame_stride.*delete it'):
        build(manifest, sources, frame_stride=2)
    write(folder / 'new.png', image(6))
    with pytest.raises(UnlabeledDataError,
                       match=r'files added: 1 \(e.g. .*new.png'):
        build(manifest, sources)
    (folder / 'a.png').unlink()
    with pytest.raises(UnlabeledDataError, match='files gone: 1'):
        build(manifest, sources)
    assert manifest.read_bytes() == content


def test_foreign_manifest_file_is_refused(tmp_path):
    manifest = tmp_path / 'manifest.json'
    manifest.write_text('{"something": "else"}')
    write(tmp_path / 'scans' / 'a.png', image(0))
    with pytest.raises(UnlabeledDataError, match='not an unlabeled-set '
                       'manifest.*never overwritten'):
        build(manifest, [dict(folder=str(tmp_path / 'scans'))])
    assert manifest.read_text() == '{"something": "else"}'


def test_unreadable_images(tmp_path):
    folder = tmp_path / 'scans'
    write(folder / 'good.png', image(0))
    (folder / 'broken.png').write_bytes(b'\x89PNG not really')
    (folder / 'broken.dcm').write_bytes(b'not a dicom')
    manifest = tmp_path / 'pixels.json'
    dataset = build(manifest, [dict(folder=str(folder))],
                    deduplicate='pixels')
    assert [n for n, _, _ in used(dataset)] == ['good.png']
    assert set(reasons(manifest)) == {'broken.png', 'broken.dcm'}
    assert all(r.startswith('unreadable: ')
               for r in reasons(manifest).values())
    # Hashing bytes does not decode: the broken PNG fails in the pipeline,
    # named with the manifest.
    dataset = build(tmp_path / 'file.json', [dict(folder=str(folder))],
                    pipeline=[dict(type='LoadUltrasoundImage')])
    index = [n for n, _, _ in used(dataset)].index('broken.png')
    with pytest.raises(ImagePipelineError,
                       match=r'file.json: image .*broken.png: '
                       'LoadUltrasoundImage failed'):
        dataset[index]


@pytest.mark.parametrize('sources, kwargs, message', [
    ([], {}, 'non-empty list'),
    ([dict(folder='x', us43d='y')], {}, 'exactly one of the keys'),
    ([dict(folder='x', recursive=True)], {}, r"unknown key\(s\) \['recursive'\]"),
    ([dict(us43d='x', splits='train')], {}, 'splits must be a non-empty list'),
    ([dict(phantom='x')], {}, 'needs generator'),
    ([dict(folder='x')], dict(frame_stride=0), 'frame_stride'),
    ([dict(folder='x')], dict(deduplicate='md5'), 'deduplicate'),
    ([dict(folder='x')], dict(holdout='BUS-BRA'), 'list of dataset names'),
    ([dict(folder='x')], dict(holdout_folders=['y'], deduplicate=None),
     'by content hash'),
])
def test_bad_settings_are_named(tmp_path, sources, kwargs, message):
    with pytest.raises(UnlabeledDataError, match=message):
        build(tmp_path / 'manifest.json', sources, **kwargs)
    assert not (tmp_path / 'manifest.json').exists()


def test_missing_sources_and_empty_results(tmp_path):
    with pytest.raises(UnlabeledDataError, match='no such directory'):
        build(tmp_path / 'm.json', [dict(folder=str(tmp_path / 'absent'))])
    with pytest.raises(UnlabeledDataError,
                       match='annotation file .*train.json not found'):
        build(tmp_path / 'm.json', [dict(us43d=str(tmp_path / 'absent'))])
    write(tmp_path / 'BUS-BRA' / 'a.png', image(0))
    with pytest.raises(UnlabeledDataError,
                       match='no image left.*all excluded: 1 held out'):
        build(tmp_path / 'm.json', [dict(folder=str(tmp_path / 'BUS-BRA'))])
    assert not (tmp_path / 'm.json').exists()
