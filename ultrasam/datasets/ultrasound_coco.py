"""COCO instance-segmentation files as found in the wild, for SAM prompting."""
import logging
import math
import os.path as osp
from collections import Counter, defaultdict
from collections.abc import Hashable
from numbers import Number
from typing import Any, Dict, List, Optional, Tuple, Union

import mmcv
import numpy as np
from mmengine.fileio import get_local_path, load
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmdet.visualization.palette import get_palette
from ..structures.calibration import check_spacing

# A declared bbox within this many pixels of the mask's box is kept:
# rasterising a polygon moves its extent by less than a pixel.
_BBOX_TOLERANCE = 1.
# pycocotools' compressed RLE: 6-bit chunks as chars 48-111 ('0'-'o'), 5 value
# bits each, little end first; 7 chunks (35 bits) exceed any image's pixels.
_RLE_CHAR_MIN, _RLE_CHAR_MAX, _RLE_MAX_CHUNKS = 48, 111, 7


class CocoFormatError(ValueError):
    """An annotation file does not follow the COCO format."""


class ImagePipelineError(RuntimeError):
    """A transform of the data pipeline failed on one image of a dataset."""


@DATASETS.register_module()
class UltrasoundCocoDataset(CocoDataset):
    """COCO-format instance segmentation dataset for promptable segmentation.

    Reads COCO files as found in the wild and either loads them or fails with an
    error naming the file, the entry and the field:

    - masks as polygons of finite coordinates (a flat coordinate list is
      accepted as one polygon), uncompressed RLE or compressed RLE, whose
      ``size`` must match the image and whose run lengths must cover it exactly;
    - image, annotation and category ids that are numbers or strings, category
      ids starting anywhere;
    - ``bbox`` (finite ``[x, y, w, h]``) taken from the mask when missing or
      more than a pixel away from the mask's box (counted in a warning, e.g.
      ``[0, 0, 0, 0]`` written by some converters); ``area`` is not read, the
      mask decides;
    - polygon parts with fewer than 3 points are removed, annotations left with a
      zero-area mask are skipped (counted in the log line, never an error);
    - optional image fields: ``frame`` (0-based frame of a multi-frame DICOM, see
      :class:`LoadUltrasoundImage`), ``pixel_spacing`` (mm between rows and
      columns, one value when isotropic: the calibration of a PNG / JPEG, see
      :class:`LoadUltrasoundImage`) and ``source`` or ``dataset`` (the dataset
      the image comes from; when the image has none, the common ``source`` /
      ``dataset`` of its annotations), used to split the metrics.

    ``class_agnostic=True`` (UltraSam's setting, the US-43d merge has the single
    category ``object``) maps every category to label 0 whatever its name. With
    ``class_agnostic=False`` the classes are ``metainfo['classes']`` when given
    (names looked up in the file's categories), else all categories of the file
    in file order.

    Images without any usable annotation are dropped from training
    (``filter_cfg=dict(filter_empty_gt=True)``, with a log line) and kept for
    testing, where they produce an empty prediction; a training set without any
    usable annotation is an error. An image whose instances all vanish in the training
    pipeline (e.g. a mask thinner than a pixel after resizing) is skipped with a
    log line and another image is drawn. A transform failing on an image (an
    empty or undecodable file, an image so elongated that resizing rounds a side
    to 0 pixels) raises :class:`ImagePipelineError` naming the annotation file,
    the image id and the image file.

    Args:
        class_agnostic (bool): Map all categories to one class. Defaults to True.
        **kwargs: :class:`mmdet.datasets.CocoDataset` arguments.
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, *args, class_agnostic: bool = True, **kwargs) -> None:
        self.class_agnostic = class_agnostic
        metainfo = kwargs.get('metainfo') or {}
        self._requested_classes = (
            tuple(metainfo['classes']) if 'classes' in metainfo else None)
        if class_agnostic and self._requested_classes is not None and len(
                self._requested_classes) != 1:
            raise ValueError(
                'class_agnostic=True needs exactly one class name '
                f'in metainfo, got {self._requested_classes}')
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load and validate the COCO file ``self.ann_file``."""
        with get_local_path(
                self.ann_file, backend_args=self.backend_args) as local_path:
            try:
                coco = load(local_path, file_format='json')
            except ValueError as err:
                raise CocoFormatError(
                    f'{self.ann_file}: not valid JSON: {err}') from err
        if not isinstance(coco, dict):
            raise CocoFormatError(
                f'{self.ann_file}: expected a JSON object with '
                f'"images", got {type(coco).__name__}')
        images = self._list_field(coco, 'images', required=True)
        if not images:
            raise CocoFormatError(
                f'{self.ann_file}: the "images" list is empty, nothing to '
                f'{"test" if self.test_mode else "train"} on')
        annotations = self._list_field(coco, 'annotations', required=False)
        categories = self._list_field(
            coco, 'categories', required=bool(annotations))
        self._set_categories(categories)

        image_by_id = self._index_images(images)
        anns_by_image = self._index_annotations(annotations, image_by_id)
        skipped = Counter()
        recomputed_bboxes = []
        data_list = [
            self._parse_image(image, anns_by_image[image_id], skipped,
                              recomputed_bboxes)
            for image_id, image in image_by_id.items()
        ]
        if recomputed_bboxes:
            examples = ', '.join(map(repr, recomputed_bboxes[:5]))
            print_log(
                f'{self.ann_file}: recomputed the "bbox" of '
                f'{len(recomputed_bboxes)} annotations from their mask, their '
                f'declared bbox does not match it (annotation ids {examples}'
                f'{", ..." if len(recomputed_bboxes) > 5 else ""})',
                logger='current',
                level=logging.WARNING)
        num_instances = sum(len(info['instances']) for info in data_list)
        print_log(
            f'{self.ann_file}: {len(data_list)} images, {num_instances} '
            'annotations loaded' + ''.join(f'; skipped {n} {reason}'
                                           for reason, n in skipped.items()),
            logger='current')
        return data_list

    def _index_images(self, images: list) -> Dict[Any, dict]:
        """Validated image entries by id, in file order."""
        image_by_id = {}
        for index, image in enumerate(images):
            where = f'images[{index}]'
            for key in ('id', 'file_name', 'height', 'width'):
                self._require(image, key, where)
            self._require_id(image, 'id', where)
            ident = f'{self.ann_file}: image {image["id"]!r}'
            if image['id'] in image_by_id:
                raise CocoFormatError(f'{self.ann_file}: {where}: duplicate '
                                      f'image id {image["id"]!r}')
            file_name = image['file_name']
            if not (isinstance(file_name, str) and file_name):
                raise CocoFormatError(
                    f'{ident}: field "file_name" must be a non-empty string, '
                    f'got {file_name!r}')
            for key, minimum in (('height', 1), ('width', 1), ('frame', 0)):
                if key not in image:
                    continue
                value = image[key]
                if not _is_int(value) or value < minimum:
                    raise CocoFormatError(
                        f'{ident}: field {key!r} must be an integer >= '
                        f'{minimum}, got {value!r}')
                image[key] = int(value)
            if 'pixel_spacing' in image:
                try:
                    image['pixel_spacing'] = check_spacing(
                        image['pixel_spacing'], 'field "pixel_spacing"')
                except ValueError as err:
                    raise CocoFormatError(f'{ident}: {err}') from None
            image_by_id[image['id']] = image
        return image_by_id

    def _index_annotations(self, annotations: list,
                           image_by_id: Dict[Any, dict]) -> Dict[Any, list]:
        """Validated annotations grouped by image id."""
        anns_by_image = defaultdict(list)
        seen_ann_ids = set()
        for index, ann in enumerate(annotations):
            where = f'annotations[{index}]'
            for key in ('id', 'image_id', 'category_id', 'segmentation'):
                self._require(ann, key, where)
            for key in ('id', 'image_id', 'category_id'):
                self._require_id(ann, key, where)
            ident = f'{self.ann_file}: annotation {ann["id"]!r}'
            if ann['id'] in seen_ann_ids:
                raise CocoFormatError(f'{self.ann_file}: {where}: duplicate '
                                      f'annotation id {ann["id"]!r}')
            seen_ann_ids.add(ann['id'])
            if ann['image_id'] not in image_by_id:
                raise CocoFormatError(
                    f'{ident}: field "image_id" = {ann["image_id"]!r} is not '
                    'in "images"')
            if ann['category_id'] not in self._category_ids:
                known = sorted(map(str, self._category_ids))
                raise CocoFormatError(
                    f'{ident}: field "category_id" = {ann["category_id"]!r} '
                    f'is not in "categories" (ids {known})')
            anns_by_image[ann['image_id']].append(ann)
        return anns_by_image

    def _list_field(self, coco: dict, key: str, required: bool) -> list:
        if key not in coco:
            if required:
                raise CocoFormatError(f'{self.ann_file}: missing top-level '
                                      f'field {key!r}')
            return []
        if not isinstance(coco[key], list):
            raise CocoFormatError(
                f'{self.ann_file}: top-level field {key!r} '
                f'must be a list, got {type(coco[key]).__name__}')
        return coco[key]

    def _require(self, entry: Any, key: str, where: str) -> None:
        if not isinstance(entry, dict):
            raise CocoFormatError(
                f'{self.ann_file}: {where} must be an object, '
                f'got {type(entry).__name__}')
        if key not in entry:
            ident = f' (id {entry["id"]!r})' if 'id' in entry else ''
            raise CocoFormatError(f'{self.ann_file}: {where}{ident} has no '
                                  f'field {key!r}')

    def _require_id(self, entry: dict, key: str, where: str) -> None:
        """Ids are dict keys: a list or object id cannot be looked up."""
        if not isinstance(entry[key], Hashable):
            raise CocoFormatError(
                f'{self.ann_file}: {where}: field {key!r} must be a number or '
                f'a string, got {entry[key]!r}')

    def _set_categories(self, categories: list) -> None:
        """Fill ``cat_ids``, ``cat2label`` and, if needed, the class names."""
        names = {}
        for index, category in enumerate(categories):
            self._require(category, 'id', f'categories[{index}]')
            self._require_id(category, 'id', f'categories[{index}]')
            if category['id'] in names:
                raise CocoFormatError(
                    f'{self.ann_file}: categories[{index}]: '
                    f'duplicate category id {category["id"]!r}')
            if not self.class_agnostic:
                self._require(category, 'name', f'categories[{index}]')
            names[category['id']] = category.get('name')
        self._category_ids = set(names)

        if self.class_agnostic:
            self.cat_ids = list(names)
            self.cat2label = {cat_id: 0 for cat_id in names}
            return
        if self._requested_classes is None:
            self.cat_ids = list(names)
            self._metainfo['classes'] = tuple(names.values())
            self._metainfo['palette'] = get_palette('random', len(names))
        else:
            id_by_name = {name: cat_id for cat_id, name in names.items()}
            missing = [
                c for c in self._requested_classes if c not in id_by_name
            ]
            if missing:
                raise CocoFormatError(
                    f'{self.ann_file}: metainfo classes {missing} are not '
                    f'category names of the file ({sorted(id_by_name)})')
            self.cat_ids = [id_by_name[c] for c in self._requested_classes]
            # The class palette (METAINFO's has one colour) must cover every
            # class: mmdet's visualizer draws label i in palette[i].
            if len(self._metainfo.get('palette') or ()) < len(self.cat_ids):
                self._metainfo['palette'] = get_palette(
                    'random', len(self.cat_ids))
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}

    def _parse_image(self, image: dict, anns: List[dict], skipped: Counter,
                     recomputed_bboxes: list) -> dict:
        """Data info of one image.

        Args:
            image (dict): Validated image entry.
            anns (list[dict]): Its annotations.
            skipped (Counter): Unusable annotations, counted by reason.
            recomputed_bboxes (list): Ids of the annotations whose bbox was
                replaced by their mask's box are appended.
        """
        height, width = image['height'], image['width']
        # mmdet configs name the image prefix 'img', mmengine's default 'img_path'.
        prefix = self.data_prefix.get('img',
                                      self.data_prefix.get('img_path', ''))
        data_info = dict(
            img_path=osp.join(prefix, image['file_name']),
            img_id=image['id'],
            seg_map_path=None,
            height=height,
            width=width)
        if 'frame' in image:
            data_info['frame'] = int(image['frame'])
        if 'pixel_spacing' in image:
            data_info['pixel_spacing'] = image['pixel_spacing']
        source = _source(image)
        ann_sources = {_source(ann) for ann in anns} - {None}
        if source is None and len(ann_sources) == 1:
            source = ann_sources.pop()
        if source is not None:
            data_info['source'] = str(source)

        instances = []
        for ann in anns:
            if ann.get('ignore', False):
                skipped['annotations marked "ignore"'] += 1
                continue
            if ann['category_id'] not in self.cat2label:
                skipped['annotations of unselected categories'] += 1
                continue
            instance = self._parse_annotation(ann, height, width, skipped,
                                              recomputed_bboxes)
            if instance is not None:
                instances.append(instance)
        data_info['instances'] = instances
        return data_info

    def _parse_annotation(self, ann: dict, height: int, width: int,
                          skipped: Counter,
                          recomputed_bboxes: list) -> Optional[dict]:
        """mmdet instance dict of one annotation, or None for a zero-area one.

        Args:
            ann (dict): Annotation with validated ids.
            height (int): Height of its image.
            width (int): Width of its image.
            skipped (Counter): Skipped annotations, counted by reason.
            recomputed_bboxes (list): The annotation id is appended when its
                bbox is replaced by the mask's box.
        """
        where = f'{self.ann_file}: annotation {ann["id"]!r}'
        segm = self._parse_segmentation(ann['segmentation'], height, width,
                                        where)
        if segm is None:
            skipped['annotations without a valid polygon'] += 1
            return None
        bbox = ann.get('bbox')
        if bbox is not None and not (isinstance(bbox, list) and len(bbox) == 4
                                     and all(map(_is_finite, bbox))):
            raise CocoFormatError(
                f'{where}: field "bbox" must be [x, y, w, h] of finite '
                f'numbers, got {bbox!r}')

        try:
            rle = _to_rle(segm, height, width)
            area = float(mask_utils.area(rle))
            mask_box = mask_utils.toBbox(rle).tolist()
        except (ValueError, TypeError, OverflowError) as err:
            raise CocoFormatError(
                f'{where}: field "segmentation" cannot be decoded by '
                f'pycocotools: {err}') from err
        if area <= 0:
            skipped['annotations of zero area'] += 1
            return None
        if bbox is None:
            bbox = mask_box
        elif not _boxes_agree(bbox, mask_box):
            bbox = mask_box
            recomputed_bboxes.append(ann['id'])
        x1, y1, w, h = (float(v) for v in bbox)
        return dict(
            bbox=[x1, y1, x1 + w, y1 + h],
            bbox_label=self.cat2label[ann['category_id']],
            mask=segm,
            ignore_flag=int(bool(ann.get('iscrowd', 0))))

    def _parse_segmentation(self, segm: Any, height: int, width: int,
                            where: str) -> Optional[Union[list, dict]]:
        """Validated polygons or RLE, None when no polygon part is usable.

        Args:
            segm: The annotation's ``segmentation`` field.
            height (int): Height of the image.
            width (int): Width of the image.
            where (str): File and annotation, for the error messages.
        """
        if isinstance(segm, list):
            if segm and all(isinstance(v, Number) for v in segm):
                segm = [segm]  # a single polygon written without nesting
            if not all(
                    isinstance(part, list) and all(
                        isinstance(v, Number) for v in part) for part in segm):
                raise CocoFormatError(
                    f'{where}: field "segmentation" must be a list of polygons '
                    '(lists of x, y numbers) or an RLE object')
            for index, part in enumerate(segm):
                bad = [v for v in part if not _is_finite(v)]
                if bad:
                    # pycocotools hangs or exhausts memory on these.
                    raise CocoFormatError(
                        f'{where}: field "segmentation" polygon {index} has '
                        f'non-finite coordinate {bad[0]!r}')
                # pycocotools rasterises the whole outline: a vertex far off
                # the image (e.g. 1e12, a unit mix-up) exhausts memory.
                xs, ys = part[0::2], part[1::2]
                far = [(x, y) for x, y in zip(xs, ys)
                       if not (-width <= x <= 2 * width
                               and -height <= y <= 2 * height)]
                if far:
                    raise CocoFormatError(
                        f'{where}: field "segmentation" polygon {index} has '
                        f'vertex {far[0]} far outside the {width}x{height} '
                        'image (more than one image size away)')
            segm = [[float(v) for v in part] for part in segm
                    if len(part) >= 6 and len(part) % 2 == 0]
            return segm or None
        if not isinstance(segm, dict):
            raise CocoFormatError(
                f'{where}: field "segmentation" must be a polygon list or an '
                f'RLE object, got {type(segm).__name__}')
        if 'counts' not in segm or 'size' not in segm:
            raise CocoFormatError(f'{where}: RLE field "segmentation" needs '
                                  '"counts" and "size"')
        if not (isinstance(segm['size'], list)
                and segm['size'] == [height, width]):
            raise CocoFormatError(
                f'{where}: field "segmentation.size" = {segm["size"]!r} '
                f'differs from the image size [height, width] = '
                f'[{height}, {width}]')
        counts = segm['counts']
        if isinstance(counts, str):
            try:
                runs = _compressed_rle_runs(counts)
            except ValueError as err:
                raise CocoFormatError(
                    f'{where}: field "segmentation.counts" is not a valid '
                    f'compressed RLE string: {err}') from err
        elif isinstance(counts, list):
            bad = [v for v in counts if not _is_int(v) or v < 0]
            if bad:
                raise CocoFormatError(
                    f'{where}: field "segmentation.counts" (uncompressed RLE) '
                    f'must hold non-negative integers, got {bad[0]!r}')
            counts = runs = [int(v) for v in counts]
        else:
            raise CocoFormatError(
                f'{where}: field "segmentation.counts" must be a string '
                f'(compressed RLE) or a list (uncompressed RLE), got '
                f'{type(counts).__name__}')
        # pycocotools does not check this: a short RLE decodes to whatever
        # memory follows it, a long one fails deep in the data pipeline.
        if sum(runs) != height * width:
            raise CocoFormatError(
                f'{where}: field "segmentation.counts" has runs summing to '
                f'{sum(runs)} pixels, the image has {height} x {width} = '
                f'{height * width}')
        return dict(size=[height, width], counts=counts)

    def filter_data(self) -> List[dict]:
        """Drop training images without a usable instance or smaller than
        ``filter_cfg['min_size']``; keep everything in test mode.

        Raises:
            ValueError: In training, when no image with a usable instance is
                left (whatever ``filter_cfg`` says: the training pipeline would
                redraw images without one forever).
        """
        if self.test_mode:
            return self.data_list
        filter_cfg = self.filter_cfg or {}
        filter_empty = filter_cfg.get('filter_empty_gt', False)
        min_size = filter_cfg.get('min_size', 0)
        kept = [
            info for info in self.data_list
            if (_has_usable_instance(info) or not filter_empty)
            and min(info['width'], info['height']) >= min_size
        ]
        if not any(map(_has_usable_instance, kept)):
            raise CocoFormatError(
                f'{self.ann_file}: none of its {len(self.data_list)} images has '
                'a usable annotation' +
                (f' and a side of at least min_size={min_size} pixels'
                 if min_size else '') + ', nothing to train on (images '
                'without annotations are only kept for testing)')
        if len(kept) < len(self.data_list):
            print_log(
                f'{self.ann_file}: skipped {len(self.data_list) - len(kept)} of '
                f'{len(self.data_list)} training images without annotations '
                f'(or smaller than min_size={min_size})',
                logger='current')
        return kept

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline; in training, skip an image left without instances.

        Returning None makes :class:`mmengine.dataset.BaseDataset` draw another
        image.

        Raises:
            ImagePipelineError: A transform failed; the message names the
                annotation file, the image id, the image file and the transform.
        """
        data = self.get_data_info(idx)
        # The transforms are run one by one (as mmengine's Compose does) to
        # name the one that failed; they fill ``data`` in place.
        for transform in self.pipeline.transforms:
            try:
                data = transform(data)
            except Exception as err:
                raise ImagePipelineError(
                    self._pipeline_failure(data, transform, err)) from err
            if data is None:
                return None
        if (not self.test_mode and isinstance(data, dict)
                and 'data_samples' in data
                and len(data['data_samples'].gt_instances) == 0):
            print_log(
                f'skipped training image {data["data_samples"].img_path}: no '
                'instance left after the pipeline',
                logger='current',
                level=logging.INFO)
            return None
        return data

    def _pipeline_failure(self, results: dict, transform: Any,
                          err: Exception) -> str:
        """Message for ``transform`` failing with ``err`` on ``results``."""
        where = (f'{self.ann_file}: image {results.get("img_id")!r} '
                 f'({results.get("img_path")})')
        name = type(transform).__name__
        vanished = _vanishing_resize(results)
        if vanished is not None:
            (height, width), (new_h, new_w) = vanished
            return (f'{where}: {name} failed: resizing the {height}x{width} '
                    f'(HxW) image to fit {results["scale"]} keeping its aspect '
                    f'ratio gives {new_h}x{new_w}, a side rounds to 0 pixels; '
                    'crop the image or remove it from the annotation file')
        return f'{where}: {name} failed: {type(err).__name__}: {err}'


def _vanishing_resize(
        results: dict) -> Optional[Tuple[Tuple[int, int], Tuple[int, int]]]:
    """Image size and keep-ratio resized size when a side rounds to 0.

    A resize transform records its target ``scale`` in ``results`` before
    resizing, so after it failed the sizes it meant to produce can be told.
    """
    if results.get('img') is None or results.get('scale') is None:
        return None
    height, width = results['img'].shape[:2]
    new_w, new_h = mmcv.rescale_size((width, height), results['scale'])
    if min(new_h, new_w) >= 1:
        return None
    return (height, width), (new_h, new_w)


def _has_usable_instance(data_info: dict) -> bool:
    """Whether an image has an instance that is not ignored (crowd)."""
    return any(not inst['ignore_flag'] for inst in data_info['instances'])


def _is_int(value: Any) -> bool:
    """An integer, or a float with an integral value (written by some tools)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, np.integer)) or (isinstance(value, float)
                                                    and value.is_integer())


def _is_finite(value: Any) -> bool:
    return isinstance(value, Number) and math.isfinite(value)


def _boxes_agree(bbox: List[float], mask_box: List[float]) -> bool:
    """Whether a declared ``[x, y, w, h]`` has a size and fits the mask's."""
    x, y, w, h = bbox
    mx, my, mw, mh = mask_box
    edges = np.array([x, y, x + w, y + h]) - [mx, my, mx + mw, my + mh]
    return w > 0 and h > 0 and np.abs(edges).max() <= _BBOX_TOLERANCE


def _compressed_rle_runs(counts: str) -> List[int]:
    """Run lengths of a compressed RLE string, as pycocotools' ``rleFrString``.

    Raises:
        ValueError: On a character or a value pycocotools would misread.
    """
    if not counts:
        return []
    # UTF-8 maps non-ASCII characters to bytes above the valid range.
    chunks = np.frombuffer(counts.encode('utf-8'), np.uint8).astype(np.int64)
    if chunks.min() < _RLE_CHAR_MIN or chunks.max() > _RLE_CHAR_MAX:
        raise ValueError(f'characters must be in {chr(_RLE_CHAR_MIN)!r}-'
                         f'{chr(_RLE_CHAR_MAX)!r}')
    chunks -= _RLE_CHAR_MIN
    # Bit 5 flags a continuation: a value ends on a chunk without it.
    last = np.flatnonzero(chunks & 0x20 == 0)
    if last.size == 0 or last[-1] != chunks.size - 1:
        raise ValueError('truncated (the last value is unfinished)')
    first = np.concatenate([[0], last[:-1] + 1])
    length = last - first + 1
    if length.max() > _RLE_MAX_CHUNKS:
        raise ValueError(f'a value spans more than {_RLE_MAX_CHUNKS} chars')
    shift = 5 * (np.arange(chunks.size) - np.repeat(first, length))
    values = np.add.reduceat((chunks & 0x1f) << shift, first)
    # Bit 4 of a value's last chunk is its sign.
    negative = chunks[last] & 0x10 != 0
    values[negative] -= 1 << (5 * length[negative])
    # From the fourth on, values are stored as the difference to the value
    # two before (the previous run of the same colour).
    values[1::2] = np.cumsum(values[1::2])
    values[2::2] = np.cumsum(values[2::2])
    if (values < 0).any():
        raise ValueError(f'negative run length {values.min()}')
    return values.tolist()


def _source(entry: Dict[str, Any]) -> Optional[Any]:
    return entry.get('source', entry.get('dataset'))


def _to_rle(segm, height: int, width: int) -> dict:
    """Compressed RLE of a polygon list or (un)compressed RLE annotation."""
    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    if isinstance(segm['counts'], list):
        return mask_utils.frPyObjects(segm, height, width)
    return segm
