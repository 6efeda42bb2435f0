"""Reliability catalogue of COCO loading and of the dataset browser: bad inputs.

Every case must fail with an error naming the annotation file and the entry,
field or image file at fault (the browser: one line ``browse_dataset.py:
error: ...``), and leave every input file as it was.

Documented skips that are not errors (images without annotations dropped from
training and kept for testing, zero-area masks and polygons of fewer than
3 points dropped, bboxes recomputed from their mask, images whose instances
vanish in the training pipeline redrawn) are tested with their log lines in
``tests/datasets/test_ultrasound_coco_dataset.py``.
"""
import copy
import json
import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict

import cv2
import numpy as np
import pytest
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from pycocotools import mask as mask_utils
from pydicom.data import get_testdata_file
from torch.utils.data import DataLoader

from mmdet.registry import DATASETS
from ultrasam.datasets import ultrasound_coco
from ultrasam.datasets.ultrasound_coco import ImagePipelineError

REPO = Path(__file__).resolve().parents[2]
BASE_DATASET = REPO / 'configs' / '_base_' / 'datasets' / 'us_coco_prompt.py'
HEIGHT, WIDTH = 40, 60
PIPELINE = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='PointsFromMasks', num_points=1),
    dict(type='PackPromptInputs'),
]


def compressed_rle(mask: np.ndarray) -> str:
    return mask_utils.encode(np.asfortranarray(mask.astype(
        np.uint8)))['counts'].decode()


def valid_coco() -> dict:
    """Two images with string ids, categories 0 and 7, one annotation per mask
    format: ``ann-1`` polygon with bbox, ``ann-2`` flat polygon, ``ann-3``
    compressed RLE, ``ann-4`` uncompressed RLE."""
    square = [[2, 2, 12, 2, 12, 12, 2, 12]]
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[10:30, 30:50] = True
    segmentations = [
        ('img-a', 0, square, dict(bbox=[2, 2, 10, 10])),
        ('img-a', 7, [20, 5, 28, 5, 28, 13, 20, 13], {}),
        ('img-b', 7, dict(size=[HEIGHT, WIDTH],
                          counts=compressed_rle(mask)), {}),
        ('img-b', 0, dict(size=[HEIGHT, WIDTH],
                          counts=[400, 400, 1600]), {}),
    ]
    return dict(
        images=[
            dict(id=ident, file_name='a.png', height=HEIGHT, width=WIDTH)
            for ident in ('img-a', 'img-b')
        ],
        categories=[dict(id=0, name='tumor'),
                    dict(id=7, name='cyst')],
        annotations=[
            dict(id=f'ann-{index}', image_id=image, category_id=category,
                 segmentation=segm, **extra)
            for index, (image, category, segm, extra) in enumerate(
                segmentations, 1)
        ])


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """``images/a.png`` (40 x 60 gray) and ``ann.json`` (:func:`valid_coco`)."""
    (tmp_path / 'images').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / 'a.png'),
                np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH),
                                                  np.uint8))
    write_json(tmp_path / 'ann.json', valid_coco())
    return tmp_path


def write_json(path: Path, content) -> None:
    path.write_text(json.dumps(content))


def build(root: Path, **kwargs):
    cfg = dict(
        type='UltrasoundCocoDataset',
        data_root=str(root),
        ann_file='ann.json',
        data_prefix=dict(img='images/'),
        pipeline=PIPELINE,
        test_mode=True)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def edited(edit: Callable[[dict], None]) -> dict:
    coco = copy.deepcopy(valid_coco())
    edit(coco)
    return coco


# Annotation files: (edit of valid_coco(), message after "<root>/ann.json").
FILE_CASES = {
    'image_without_height': (
        lambda c: c['images'][0].pop('height'),
        r": images\[0\] \(id 'img-a'\) has no field 'height'"),
    'width_as_string': (
        lambda c: c['images'][1].update(width='60'),
        r": image 'img-b': field 'width' must be an integer >= 1, got '60'"),
    'negative_frame': (
        lambda c: c['images'][1].update(frame=-1),
        r": image 'img-b': field 'frame' must be an integer >= 0, got -1"),
    'file_name_null': (
        lambda c: c['images'][1].update(file_name=None),
        r": image 'img-b': field \"file_name\" must be a non-empty string"),
    'duplicate_image_id': (
        lambda c: c['images'][1].update(id='img-a'),
        r": images\[1\]: duplicate image id 'img-a'"),
    'image_id_a_list': (
        lambda c: c['images'][0].update(id=[1]),
        r": images\[0\]: field 'id' must be a number or a string, got \[1\]"),
    'unknown_category': (
        lambda c: c['annotations'][0].update(category_id=1),
        r": annotation 'ann-1': field \"category_id\" = 1 is not in "
        r"\"categories\""),
    'unknown_image': (
        lambda c: c['annotations'][0].update(image_id='nope'),
        r": annotation 'ann-1': field \"image_id\" = 'nope' is not in "
        r"\"images\""),
    'duplicate_annotation_id': (
        lambda c: c['annotations'][1].update(id='ann-1'),
        r": annotations\[1\]: duplicate annotation id 'ann-1'"),
    'annotation_id_an_object': (
        lambda c: c['annotations'][1].update(id={'a': 1}),
        r": annotations\[1\]: field 'id' must be a number or a string, "
        r"got \{'a': 1\}"),
    'category_id_a_list': (
        lambda c: c['annotations'][0].update(category_id=[0]),
        r": annotations\[0\]: field 'category_id' must be a number"),
    'category_entry_id_a_list': (
        lambda c: c['categories'][1].update(id=[7]),
        r": categories\[1\]: field 'id' must be a number"),
    'no_segmentation': (
        lambda c: c['annotations'][0].pop('segmentation'),
        r": annotations\[0\] \(id 'ann-1'\) has no field 'segmentation'"),
    'segmentation_a_string': (
        lambda c: c['annotations'][2].update(segmentation='oops'),
        r": annotation 'ann-3': field \"segmentation\" must be a polygon "
        r"list"),
    'polygon_of_strings': (
        lambda c: c['annotations'][0].update(segmentation=[['1', '2']]),
        r": annotation 'ann-1': field \"segmentation\" must be a list of "
        r"polygons"),
    'polygon_nan': (
        lambda c: c['annotations'][0]['segmentation'][0].__setitem__(
            2, float('nan')),
        r": annotation 'ann-1': field \"segmentation\" polygon 0 has "
        r"non-finite coordinate nan"),
    'flat_polygon_minus_inf': (
        lambda c: c['annotations'][1]['segmentation'].__setitem__(
            1, float('-inf')),
        r": annotation 'ann-2': field \"segmentation\" polygon 0 has "
        r"non-finite coordinate -inf"),
    'polygon_vertex_far_away': (
        lambda c: c['annotations'][0]['segmentation'][0].__setitem__(
            2, 1e12),
        r": annotation 'ann-1': field \"segmentation\" polygon 0 has vertex "
        r"\(1000000000000.0, 2\) far outside the 60x40 image"),
    'bbox_too_short': (
        lambda c: c['annotations'][0].update(bbox=[1, 2]),
        r": annotation 'ann-1': field \"bbox\" must be \[x, y, w, h\]"),
    'bbox_infinite': (
        lambda c: c['annotations'][0].update(bbox=[2, 2, float('inf'), 10]),
        r": annotation 'ann-1': field \"bbox\" must be \[x, y, w, h\] of "
        r"finite numbers, got \[2, 2, inf, 10\]"),
    'rle_without_size': (
        lambda c: c['annotations'][2]['segmentation'].pop('size'),
        r": annotation 'ann-3': RLE field \"segmentation\" needs \"counts\" "
        r"and \"size\""),
    'rle_size_swapped': (
        lambda c: c['annotations'][2]['segmentation'].update(size=[60, 40]),
        r": annotation 'ann-3': field \"segmentation.size\" = \[60, 40\] "
        r"differs"),
    'rle_size_a_number': (
        lambda c: c['annotations'][2]['segmentation'].update(size=2400),
        r": annotation 'ann-3': field \"segmentation.size\" = 2400 differs"),
    'rle_counts_short': (
        lambda c: c['annotations'][3]['segmentation'].update(
            counts=[10, 20, 5]),
        r": annotation 'ann-4': field \"segmentation.counts\" has runs "
        r"summing to 35 pixels, the image has 40 x 60 = 2400"),
    'rle_counts_negative': (
        lambda c: c['annotations'][3]['segmentation'].update(
            counts=[2405, -5]),
        r": annotation 'ann-4': field \"segmentation.counts\" \(uncompressed "
        r"RLE\) must hold non-negative integers, got -5"),
    'rle_counts_a_number': (
        lambda c: c['annotations'][3]['segmentation'].update(counts=7),
        r": annotation 'ann-4': field \"segmentation.counts\" must be a "
        r"string \(compressed RLE\) or a list"),
    'compressed_rle_of_another_size': (
        lambda c: c['annotations'][2]['segmentation'].update(
            counts=compressed_rle(np.ones((HEIGHT, WIDTH - 1)))),
        r": annotation 'ann-3': field \"segmentation.counts\" has runs "
        r"summing to 2360 pixels, the image has 40 x 60 = 2400"),
    'compressed_rle_bad_characters': (
        lambda c: c['annotations'][2]['segmentation'].update(counts='zzzz'),
        r": annotation 'ann-3': field \"segmentation.counts\" is not a valid "
        r"compressed RLE string: characters must be in '0'-'o'"),
    'compressed_rle_truncated': (
        lambda c: c['annotations'][2]['segmentation'].update(counts='PP'),
        r": annotation 'ann-3': field \"segmentation.counts\" is not a valid "
        r"compressed RLE string: truncated"),
    'no_categories': (lambda c: c.pop('categories'),
                      r": missing top-level field 'categories'"),
    'annotations_an_object': (
        lambda c: c.update(annotations={}),
        r": top-level field 'annotations' must be a list, got dict"),
    'no_images_field': (lambda c: c.pop('images'),
                        r": missing top-level field 'images'"),
    'images_empty': (lambda c: c.update(images=[], annotations=[]),
                     r': the "images" list is empty, nothing to test on'),
}


@pytest.mark.parametrize('edit, message', FILE_CASES.values(),
                         ids=FILE_CASES.keys())
def test_malformed_annotation_file(data_dir, snapshot, edit, message):
    write_json(data_dir / 'ann.json', edited(edit))
    before = snapshot(data_dir)
    with pytest.raises(ultrasound_coco.CocoFormatError,
                       match=f'^{data_dir / "ann.json"}{message}'):
        build(data_dir)
    assert snapshot(data_dir) == before


@pytest.mark.parametrize('content, message', [
    ('{"images": [', r'ann.json: not valid JSON'),
    ('', r'ann.json: not valid JSON'),
    ('[1, 2]', r'ann.json: expected a JSON object with "images", got list'),
],
                         ids=['truncated', 'empty', 'a_list'])
def test_annotation_file_that_is_not_a_coco_object(data_dir, snapshot,
                                                    content, message):
    (data_dir / 'ann.json').write_text(content)
    before = snapshot(data_dir)
    with pytest.raises(ultrasound_coco.CocoFormatError, match=message):
        build(data_dir)
    assert snapshot(data_dir) == before


def test_missing_annotation_file(data_dir, snapshot):
    before = snapshot(data_dir)
    with pytest.raises(FileNotFoundError, match='missing.json'):
        build(data_dir, ann_file='missing.json')
    assert snapshot(data_dir) == before


def test_pycocotools_failure_names_the_annotation(data_dir, snapshot,
                                                  monkeypatch):

    def fail(*args, **kwargs):
        raise ValueError('Invalid RLE mask representation')

    monkeypatch.setattr(ultrasound_coco.mask_utils, 'area', fail)
    before = snapshot(data_dir)
    with pytest.raises(
            ValueError,
            match=r"ann.json: annotation 'ann-1': field \"segmentation\" "
            r'cannot be decoded by pycocotools: Invalid RLE'):
        build(data_dir)
    assert snapshot(data_dir) == before


NO_ANNOTATION = (r'ann.json: none of its 2 images has a usable annotation, '
                 r'nothing to train on \(images without annotations are only '
                 r'kept for testing\)')
FILTER = dict(filter_empty_gt=True, min_size=0)


def drop_annotations(coco: dict) -> None:
    coco['annotations'] = []


def crowd_only(coco: dict) -> None:
    for ann in coco['annotations']:
        ann['iscrowd'] = 1


# (edit of valid_coco(), filter_cfg, message).
NOTHING_TO_TRAIN_ON = {
    'no_annotations': (drop_annotations, FILTER, NO_ANNOTATION),
    'no_annotations_without_filter_cfg': (drop_annotations, None,
                                          NO_ANNOTATION),
    'crowd_annotations_only': (crowd_only, FILTER, NO_ANNOTATION),
    'all_below_min_size': (lambda coco: None, dict(FILTER, min_size=50),
                           r'ann.json: none of its 2 images has a usable '
                           r'annotation and a side of at least min_size=50 '
                           r'pixels, nothing to train on'),
}


@pytest.mark.parametrize('edit, filter_cfg, message',
                         NOTHING_TO_TRAIN_ON.values(),
                         ids=NOTHING_TO_TRAIN_ON.keys())
def test_nothing_to_train_on(data_dir, snapshot, edit, filter_cfg, message):
    write_json(data_dir / 'ann.json', edited(edit))
    before = snapshot(data_dir)
    with pytest.raises(ValueError, match=message):
        build(data_dir, test_mode=False, filter_cfg=filter_cfg)
    assert snapshot(data_dir) == before
    # Testing keeps images without annotations (an empty prediction each).
    assert len(build(data_dir)) == 2


def thin_image(root: Path) -> Dict[str, int]:
    cv2.imwrite(str(root / 'images' / 'thin.png'),
                np.full((1, 5000), 90, np.uint8))
    return dict(file_name='thin.png', height=1, width=5000)


def cine_loop(root: Path) -> Dict[str, int]:
    shutil.copy(
        get_testdata_file('examples_ybr_color.dcm'),
        root / 'images' / 'cine.dcm')
    return dict(file_name='cine.dcm', height=240, width=320, frame=30)


def image_file(name: str, data: bytes) -> Callable[[Path], Dict[str, str]]:

    def write(root: Path) -> Dict[str, str]:
        (root / 'images' / name).write_bytes(data)
        return dict(file_name=name)

    return write


# Images that break the pipeline: (writer returning the image entry's fields,
# message after "<root>/ann.json: image 'img-b' (<root>/images/<file>): ").
IMAGE_CASES = {
    'image_0_byte': (image_file('empty.png', b''),
                     r'LoadUltrasoundImage failed: ValueError: \S+/empty.png: '
                     r'empty file \(0 bytes\)'),
    'text_named_png': (image_file('text.png', b'not an image\n'),
                       r'LoadUltrasoundImage failed: ValueError: '
                       r'\S+/text.png: not a decodable image'),
    'image_missing': (lambda root: dict(file_name='missing.png'),
                      r'LoadUltrasoundImage failed: FileNotFoundError: .*'
                      r'missing.png'),
    'image_1x5000': (thin_image,
                     r'Resize failed: resizing the 1x5000 \(HxW\) image to '
                     r'fit \(64, 64\) keeping its aspect ratio gives 0x64, a '
                     r'side rounds to 0 pixels; crop the image or remove it'),
    'declared_size_differs': (lambda root: dict(height=41),
                              r'LoadUltrasoundImage failed: ValueError: '
                              r'\S+/a.png: decoded image is 40x60 \(HxW\) but '
                              r'the annotation file declares height=41'),
    'dicom_frame_out_of_range': (cine_loop,
                                 r'LoadUltrasoundImage failed: ValueError: '
                                 r'\S+/cine.dcm: frame 30 requested but the '
                                 r'DICOM file has 30 frame'),
}


def with_bad_second_image(root: Path, write: Callable) -> dict:
    """valid_coco() with its image 'img-b' replaced by what ``write`` made."""
    coco = valid_coco()
    coco['images'][1].update(write(root))
    # The RLE annotations are sized for 40 x 60.
    coco['annotations'] = coco['annotations'][:2]
    coco['annotations'].append(
        dict(id='ann-b', image_id='img-b', category_id=0,
             segmentation=[[0, 0, 1, 0, 1, 1, 0, 1]]))
    return coco


@pytest.mark.parametrize('mode', ['test', 'train'])
@pytest.mark.parametrize('write, message', IMAGE_CASES.values(),
                         ids=IMAGE_CASES.keys())
def test_image_that_breaks_the_pipeline(data_dir, snapshot, write, message,
                                        mode):
    write_json(data_dir / 'ann.json', with_bad_second_image(data_dir, write))
    dataset = build(data_dir, test_mode=mode == 'test')
    before = snapshot(data_dir)
    dataset[0]
    with pytest.raises(ImagePipelineError) as error:
        dataset[1]
    assert snapshot(data_dir) == before
    prefix = f"{data_dir / 'ann.json'}: image 'img-b' ({data_dir}/images/"
    assert str(error.value).startswith(prefix)
    assert re.search(message, str(error.value)), str(error.value)


def test_bad_image_in_a_dataloader_worker(data_dir, snapshot):
    """The worker's error reaches the main process with the file named."""
    write_json(data_dir / 'ann.json',
               with_bad_second_image(data_dir,
                                     image_file('empty.png', b'')))
    dataset = build(data_dir, test_mode=False)
    before = snapshot(data_dir)
    loader = DataLoader(
        dataset, batch_size=2, num_workers=1, collate_fn=pseudo_collate)
    with pytest.raises(ImagePipelineError,
                       match=r"ann.json: image 'img-b' \(\S+/empty.png\): "
                       r'LoadUltrasoundImage failed: .*empty file'):
        next(iter(loader))
    assert snapshot(data_dir) == before


# The dataset browser.


@pytest.fixture(scope='module')
def browse(load_script) -> ModuleType:
    return load_script('tools/analysis_tools/browse_dataset.py')


def browse_config(root: Path, name: str = 'browse.py',
                  ann_file: str = 'ann.json') -> Path:
    config = root / name
    config.write_text(f"""
_base_ = {str(BASE_DATASET)!r}
custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)
default_scope = 'mmdet'
train_dataloader = dict(dataset=dict(
    data_root={str(root)!r}, ann_file={ann_file!r},
    data_prefix=dict(img='images/'), pipeline={PIPELINE!r}))
""")
    return config


def setup_browse(root: Path) -> None:
    browse_config(root)


def setup_nothing(root: Path) -> None:
    """No config: ``browse.py`` is missing."""


def setup_config_syntax_error(root: Path) -> None:
    (root / 'browse.py').write_text('x = (\n')


def setup_missing_annotation_file(root: Path) -> None:
    browse_config(root, ann_file='gone.json')


def setup_malformed_annotation_file(root: Path) -> None:
    browse_config(root)
    write_json(root / 'ann.json',
               edited(FILE_CASES['rle_size_swapped'][0]))


def setup_empty_image(root: Path) -> None:
    browse_config(root)
    write_json(root / 'ann.json',
               with_bad_second_image(root, image_file('empty.png', b'')))


def setup_no_val(root: Path) -> None:
    (root / 'no_val.py').write_text(
        "default_scope = 'mmdet'\nval_dataloader = None\n")


# (setup writing inputs, arguments, expected text of the error line);
# {tmp} is the case's directory with images/, ann.json and browse.py.
BROWSE_CASES = {
    'max_images_negative': (setup_browse, ['--max-images', '-1'],
                            "argument --max-images: expected a positive "
                            "integer, got '-1'"),
    'max_images_zero': (setup_browse, ['--max-images', '0'],
                        "expected a positive integer, got '0'"),
    'max_images_not_a_number': (setup_browse, ['--max-images', 'all'],
                                "expected a positive integer, got 'all'"),
    'unknown_split': (setup_browse, ['--split', 'valid'],
                      "argument --split: invalid choice: 'valid'"),
    'config_missing': (setup_nothing, [],
                       'config file not found: {tmp}/browse.py'),
    'config_syntax_error': (setup_config_syntax_error, [],
                            'cannot read config {tmp}/browse.py: '),
    'out_is_a_file': (setup_browse, ['--out', '{tmp}/ann.json'],
                      '--out {tmp}/ann.json exists and is not a directory'),
    'val_split_is_none': (setup_no_val,
                          ['{tmp}/no_val.py', '--split', 'val'],
                          '{tmp}/no_val.py: val_dataloader is missing or '
                          'None, there is no val split to browse'),
    'test_split_missing': (setup_no_val,
                           ['{tmp}/no_val.py', '--split', 'test'],
                           'test_dataloader is missing or None'),
    'annotation_file_missing': (setup_missing_annotation_file, [],
                                'cannot build the train dataset of '
                                '{tmp}/browse.py: [Errno 2] No such file or '
                                "directory: '{tmp}/gone.json'"),
    'malformed_annotation_file': (setup_malformed_annotation_file, [],
                                  "{tmp}/ann.json: annotation 'ann-3': field "
                                  '"segmentation.size"'),
    'image_0_byte': (setup_empty_image, [],
                     "{tmp}/ann.json: image 'img-b' ({tmp}/images/empty.png)"
                     ': LoadUltrasoundImage failed'),
}


@pytest.mark.parametrize('setup, args, expect', BROWSE_CASES.values(),
                         ids=BROWSE_CASES.keys())
def test_browse_dataset_bad_input(data_dir, snapshot, browse, capsys, setup,
                                  args, expect):
    setup(data_dir)
    names = dict(tmp=data_dir)
    argv = [arg.format(**names) for arg in args]
    if not argv or argv[0].startswith('--'):
        argv.insert(0, str(data_dir / 'browse.py'))
    if '--out' not in argv:
        argv += ['--out', str(data_dir / 'out')]
    before = snapshot(data_dir)
    with pytest.raises(SystemExit) as exc:
        browse.main(argv)
    code = exc.value.code
    if isinstance(code, str):
        line = code
    else:
        assert code == 2
        line = capsys.readouterr().err.strip().splitlines()[-1]
    assert '\n' not in line and line.startswith('browse_dataset.py: error: ')
    assert expect.format(**names) in line
    after = snapshot(data_dir)
    # Drawings written before the bad image are the only new files.
    assert {path: state for path, state in after.items()
            if not path.startswith(str(data_dir / 'out'))} == before
