import logging
import os.path as osp
from collections import Counter, defaultdict
from numbers import Number
from typing import Any, Dict, List, Optional

import numpy as np
from mmengine.fileio import get_local_path, load
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmdet.visualization.palette import get_palette


class CocoFormatError(ValueError):
    """An annotation file does not follow the COCO format."""


@DATASETS.register_module()
class UltrasoundCocoDataset(CocoDataset):
    """COCO-format instance segmentation dataset for promptable segmentation.

    Reads COCO files as found in the wild and either loads them or fails with an
    error naming the file, the entry and the field:

    - masks as polygons (a flat coordinate list is accepted as one polygon),
      uncompressed RLE or compressed RLE (whose ``size`` must match the image);
    - image, annotation and category ids of any hashable type (strings included),
      category ids starting anywhere;
    - ``bbox`` and ``area`` derived from the mask when missing, and the area
      recomputed when it is not positive (some converters write 0);
    - polygon parts with fewer than 3 points are removed, annotations left with a
      zero-area mask are skipped (counted in the log line, never an error);
    - optional image fields: ``frame`` (0-based frame of a multi-frame DICOM, see
      :class:`LoadUltrasoundImage`) and ``source`` or ``dataset`` (the dataset the
      image comes from; when the image has none, the common ``source`` /
      ``dataset`` of its annotations), used to split the metrics.

    ``class_agnostic=True`` (UltraSam's setting, the US-43d merge has the single
    category ``object``) maps every category to label 0 whatever its name. With
    ``class_agnostic=False`` the classes are ``metainfo['classes']`` when given
    (names looked up in the file's categories), else all categories of the file
    in file order.

    Images without any usable annotation are dropped from training
    (``filter_cfg=dict(filter_empty_gt=True)``, with a log line) and kept for
    testing, where they produce an empty prediction. An image whose instances all
    vanish in the training pipeline (e.g. a mask thinner than a pixel after
    resizing) is skipped with a log line and another image is drawn.

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
        annotations = self._list_field(coco, 'annotations', required=False)
        categories = self._list_field(
            coco, 'categories', required=bool(annotations))
        self._set_categories(categories)

        image_by_id = self._index_images(images)
        anns_by_image = self._index_annotations(annotations, image_by_id)
        skipped = Counter()
        data_list = [
            self._parse_image(image, anns_by_image[image_id], skipped)
            for image_id, image in image_by_id.items()
        ]
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

    def _set_categories(self, categories: list) -> None:
        """Fill ``cat_ids``, ``cat2label`` and, if needed, the class names."""
        names = {}
        for index, category in enumerate(categories):
            self._require(category, 'id', f'categories[{index}]')
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
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}

    def _parse_image(self, image: dict, anns: List[dict],
                     skipped: Counter) -> dict:
        """Data info of one image; unusable annotations are counted in
        ``skipped``."""
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
            instance = self._parse_annotation(ann, height, width, skipped)
            if instance is not None:
                instances.append(instance)
        data_info['instances'] = instances
        return data_info

    def _parse_annotation(self, ann: dict, height: int, width: int,
                          skipped: Counter) -> Optional[dict]:
        """mmdet instance dict of one annotation, or None for a zero-area one."""
        where = f'{self.ann_file}: annotation {ann["id"]!r}'
        segm = ann['segmentation']
        if isinstance(segm, list):
            if segm and all(isinstance(v, Number) for v in segm):
                segm = [segm]  # a single polygon written without nesting
            if not all(
                    isinstance(part, list) and all(
                        isinstance(v, Number) for v in part) for part in segm):
                raise CocoFormatError(
                    f'{where}: field "segmentation" must be a list of polygons '
                    '(lists of x, y numbers) or an RLE object')
            segm = [[float(v) for v in part] for part in segm
                    if len(part) >= 6 and len(part) % 2 == 0]
            if not segm:
                skipped['annotations without a valid polygon'] += 1
                return None
        elif isinstance(segm, dict):
            if 'counts' not in segm or 'size' not in segm:
                raise CocoFormatError(
                    f'{where}: RLE field "segmentation" needs '
                    '"counts" and "size"')
            if list(segm['size']) != [height, width]:
                raise CocoFormatError(
                    f'{where}: field "segmentation.size" = {segm["size"]} '
                    f'differs from the image size [height, width] = '
                    f'[{height}, {width}]')
            if not isinstance(segm['counts'], (str, list)):
                raise CocoFormatError(
                    f'{where}: field "segmentation.counts" must be a string '
                    f'(compressed RLE) or a list (uncompressed RLE), got '
                    f'{type(segm["counts"]).__name__}')
        else:
            raise CocoFormatError(
                f'{where}: field "segmentation" must be a polygon list or an '
                f'RLE object, got {type(segm).__name__}')

        bbox = ann.get('bbox')
        if bbox is not None and not (isinstance(bbox, list) and len(bbox) == 4
                                     and all(
                                         isinstance(v, Number) for v in bbox)):
            raise CocoFormatError(
                f'{where}: field "bbox" must be [x, y, w, h], '
                f'got {bbox!r}')
        area = ann.get('area')
        if area is not None and not isinstance(area, Number):
            raise CocoFormatError(
                f'{where}: field "area" must be a number, got '
                f'{area!r}')
        if bbox is None or area is None or area <= 0:
            rle = _to_rle(segm, height, width)
            area = float(mask_utils.area(rle))
            bbox = bbox or mask_utils.toBbox(rle).tolist()
        x1, y1, w, h = (float(v) for v in bbox)
        inter_w = max(0., min(x1 + w, width) - max(x1, 0.))
        inter_h = max(0., min(y1 + h, height) - max(y1, 0.))
        if area <= 0 or w < 1 or h < 1 or inter_w * inter_h == 0:
            skipped['annotations of zero area'] += 1
            return None
        return dict(
            bbox=[x1, y1, x1 + w, y1 + h],
            bbox_label=self.cat2label[ann['category_id']],
            mask=segm,
            ignore_flag=int(bool(ann.get('iscrowd', 0))))

    def filter_data(self) -> List[dict]:
        """Drop training images without a usable instance or smaller than
        ``filter_cfg['min_size']``; keep everything in test mode."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        filter_empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept = []
        for info in self.data_list:
            if filter_empty and not any(not inst['ignore_flag']
                                        for inst in info['instances']):
                continue
            if min(info['width'], info['height']) >= min_size:
                kept.append(info)
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
        """
        data = super().prepare_data(idx)
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


def _is_int(value: Any) -> bool:
    """An integer, or a float with an integral value (written by some tools)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, np.integer)) or (isinstance(value, float)
                                                    and value.is_integer())


def _source(entry: Dict[str, Any]) -> Optional[Any]:
    return entry.get('source', entry.get('dataset'))


def _to_rle(segm, height: int, width: int) -> dict:
    """Compressed RLE of a polygon list or (un)compressed RLE annotation."""
    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    if isinstance(segm['counts'], list):
        return mask_utils.frPyObjects(segm, height, width)
    return segm
