"""How a dataset's files become samples (planning) and frames (conversion).

A layout is configured declaratively by a spec: regular expressions with named
groups find the files and pair them by key; tables (CSV files, text lists)
add fields such as the pathology or the official split; templates turn fields
into the split group and the structure names. Planning runs in the main
process on the file list; :meth:`Layout.frames` runs in the workers and
yields decoded frames of one sample, streaming volumes and videos.
"""
import csv
import io
import json
import os
import re
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import (Any, Dict, Iterator, List, Mapping, Optional, Sequence,
                    Tuple, Union)

import numpy as np

from .masks import MaskDecoder, fit_mask, rasterise_polygons
from .readers import (decode_image, load_npy, open_volume, read_plane,
                      video_frames)
from .rawfs import RawFile

Fields = Dict[str, str]


class SkipSample(Exception):
    """A sample (or frame) is skipped: ``args = (reason, path)``."""


@contextmanager
def _on_disk(raw: RawFile, scratch: str) -> Iterator[str]:
    """A path of the file; a copy made from an archive is removed after use,
    so that converting a zip of videos never holds more than one copy."""
    path = raw.local_path(scratch)
    try:
        yield path
    finally:
        if raw.member is not None and os.path.exists(path):
            os.remove(path)


def _compile(pattern: str) -> 're.Pattern':
    # Anchored at a path component, so a pattern matches at any depth.
    return re.compile(r'(?:^|/)' + pattern, re.IGNORECASE)


def _match(pattern: 're.Pattern', path: str) -> Optional[Fields]:
    found = pattern.search(path)
    if found is None:
        return None
    return {k: v for k, v in found.groupdict().items() if v is not None}


@dataclass(frozen=True)
class MaskRule:
    """Mask files matched by ``pattern``, decoded by ``decoder``.

    Args:
        pattern (str): Regex on the logical path; its named groups must give
            the layout's key fields (other groups become fields of the mask,
            usable in the decoder's structure name).
        decoder (MaskDecoder): How the file becomes structures.
    """
    pattern: str
    decoder: MaskDecoder


@dataclass(frozen=True)
class Table:
    """Fields per key read from a CSV file or a text list.

    Args:
        pattern (str): Regex of the table file; its named groups are added to
            every row (e.g. the split named by the file).
        columns (dict[str, str], optional): CSV column -> field name. Without
            it, the file is a text list read line by line with ``row``.
        row (str, optional): Regex applied to each line of a text list, or to
            the value of ``row_column`` of a CSV row; named groups are fields.
        row_column (str, optional): CSV column ``row`` applies to.
        delimiter (str): CSV delimiter.
    """
    pattern: str
    columns: Optional[Mapping[str, str]] = None
    row: Optional[str] = None
    row_column: Optional[str] = None
    delimiter: str = ','


@dataclass
class Sample:
    """One unit of work: an image, a volume or a video with its masks.

    Args:
        key (str): Unique within the dataset; names the output images.
        group (str): Split group (patient, video, volume, image).
        part (str, optional): Official split part (train / val / test).
        source (RawFile): Image, volume, video or container file.
        masks (tuple): ``(file, rule index, fields)`` of each mask file.
        fields (dict): Named fields (regex groups, table values).
        extra: Layout-specific data (polygons, frame lists).
    """
    key: str
    group: str
    part: Optional[str]
    source: RawFile
    masks: Tuple[Tuple[RawFile, int, Fields], ...] = ()
    fields: Fields = field(default_factory=dict)
    extra: Any = None


@dataclass
class Frame:
    """A decoded image with its structures, before orientation and encoding.

    Args:
        suffix (str): Appended to the sample key in the output file name.
        image (np.ndarray): The image.
        structures (list): ``(name, binary mask)`` pairs.
        unexpected (Counter): Values the decoders did not expect.
        index (int, optional): Frame or slice index in the source.
        value_range (tuple, optional): Intensity range of the whole volume.
    """
    suffix: str
    image: np.ndarray
    structures: List[Tuple[str, np.ndarray]]
    unexpected: Counter
    index: Optional[int] = None
    value_range: Optional[Tuple[float, float]] = None


@dataclass
class Plan:
    """Samples of a dataset and the files skipped while pairing them."""
    samples: List[Sample]
    skips: List[Tuple[str, str]]


class Layout:
    """Shared planning: keys, tables, value translations, groups, parts.

    Args:
        key (tuple[str]): Fields that pair files and name a sample.
        group (str, optional): Template of the split group; the key when None.
        tables (tuple[Table]): Tables joined on the key fields.
        values (dict[str, dict[str, str]]): Field value translations (e.g.
            a class number to a structure name); an untranslatable value
            skips the sample.
        part (str, optional): Field holding the official split.
        parts (dict[str, str]): Field value -> ``train`` / ``val`` / ``test``.
        part_default (str, optional): Part of values not in ``parts``.
        exclude (tuple): ``(regex, reason)``: matching files are skipped and
            counted under ``reason``.
    """

    def __init__(self,
                 key: Sequence[str],
                 group: Optional[str] = None,
                 tables: Sequence[Table] = (),
                 values: Optional[Mapping[str, Mapping[str, str]]] = None,
                 part: Optional[str] = None,
                 parts: Optional[Mapping[str, str]] = None,
                 part_default: Optional[str] = None,
                 exclude: Sequence[Tuple[str, str]] = ()) -> None:
        self.key = tuple(key)
        self.group = group
        self.tables = tuple(tables)
        self.values = {k: dict(v) for k, v in (values or {}).items()}
        self.part, self.parts = part, dict(parts or {})
        self.part_default = part_default
        self.exclude = [(_compile(p), reason) for p, reason in exclude]

    # planning helpers -------------------------------------------------
    def _excluded(self, raw: RawFile, skips: list) -> bool:
        for pattern, reason in self.exclude:
            if pattern.search(raw.path):
                skips.append((reason, raw.path))
                return True
        return False

    def _key(self, fields: Fields, path: str) -> Tuple[str, ...]:
        missing = [k for k in self.key if k not in fields]
        if missing:
            raise ValueError(f'{path}: pattern gives no key field {missing}')
        return tuple(fields[k] for k in self.key)

    def _read_tables(self, files: List[RawFile],
                     skips: list) -> Tuple[Dict[tuple, Fields], List[str]]:
        """Rows of all tables by key, and the table files found."""
        rows: Dict[tuple, Fields] = {}
        found = []
        for table in self.tables:
            pattern = _compile(table.pattern)
            row_pattern = (re.compile(table.row, re.IGNORECASE)
                           if table.row else None)
            for raw in files:
                file_fields = _match(pattern, raw.path)
                if file_fields is None:
                    continue
                found.append(raw.path)
                text = raw.read().decode('utf-8-sig', errors='replace')
                for number, entry in enumerate(
                        _table_rows(table, text, row_pattern), 1):
                    if entry is None:
                        continue
                    entry = {**file_fields, **entry}
                    try:
                        key = self._key(entry, raw.path)
                    except ValueError:
                        skips.append(('table row without a key',
                                      f'{raw.path}:{number}'))
                        continue
                    rows.setdefault(key, {}).update(entry)
        return rows, found

    def _translate(self, fields: Fields, where: str) -> Fields:
        out = dict(fields)
        for name, table in self.values.items():
            if name in out:
                if out[name] not in table:
                    raise SkipSample(f'unknown {name} value {out[name]!r}',
                                     where)
                out[name] = table[out[name]]
        return out

    def _finish(self, key: tuple, fields: Fields,
                where: str) -> Tuple[str, str, Optional[str]]:
        """Sample key string, group and official part."""
        key_text = '__'.join(key)
        group = self.group.format_map(fields) if self.group else key_text
        part = None
        if self.part is not None:
            value = fields.get(self.part)
            part = self.parts.get(value, self.part_default)
            if part is None:
                raise SkipSample(
                    f'no official split for {self.part} = {value!r}', where)
        return key_text, group, part

    def describe_tables(self) -> List[str]:
        return [t.pattern for t in self.tables]

    # to implement -----------------------------------------------------
    def plan(self, files: List[RawFile], scratch: str) -> Plan:
        raise NotImplementedError

    def frames(self, sample: Sample, scratch: str) -> Iterator[Frame]:
        raise NotImplementedError

    def expected(self) -> List[str]:
        """Patterns of the files this layout needs (for --list and errors)."""
        raise NotImplementedError


def _table_rows(table: Table, text: str,
                row_pattern: Optional['re.Pattern']) -> Iterator[Fields]:
    if table.columns is None:
        for line in text.splitlines():
            found = row_pattern.search(line) if row_pattern else None
            yield ({k: v for k, v in found.groupdict().items()
                    if v is not None} if found else None)
        return
    for row in csv.DictReader(io.StringIO(text), delimiter=table.delimiter):
        row = {k.strip(): (v or '').strip() for k, v in row.items() if k}
        entry = {name: row[col] for col, name in table.columns.items()
                 if col in row}
        if row_pattern is not None:
            found = row_pattern.search(row.get(table.row_column, ''))
            if found is None:
                yield None
                continue
            entry.update({k: v for k, v in found.groupdict().items()
                          if v is not None})
        yield entry


class PairedFiles(Layout):
    """A primary file (image, volume or video) paired with mask files by key.

    Args:
        source (str): Regex of the primary files.
        masks (tuple[MaskRule]): Mask rules, tried in order; the first that
            matches a file claims it.
        require_masks (bool): Skip primary files without any mask file.
        **kwargs: :class:`Layout` arguments.
    """

    def __init__(self,
                 source: str,
                 masks: Sequence[MaskRule],
                 require_masks: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.source_pattern = source
        self.source = _compile(source)
        self.masks = tuple(masks)
        self.mask_patterns = [_compile(rule.pattern) for rule in self.masks]
        self.require_masks = require_masks

    def expected(self) -> List[str]:
        return ([self.source_pattern] +
                [f'{r.pattern} ({r.decoder.describe()})' for r in self.masks] +
                self.describe_tables())

    def plan(self, files: List[RawFile], scratch: str) -> Plan:
        skips: List[Tuple[str, str]] = []
        rows, tables = self._read_tables(files, skips)
        sources: Dict[tuple, List[Tuple[RawFile, Fields]]] = defaultdict(list)
        masks: Dict[tuple, list] = defaultdict(list)
        for raw in files:
            if raw.path in tables or self._excluded(raw, skips):
                continue
            for index, pattern in enumerate(self.mask_patterns):
                fields = _match(pattern, raw.path)
                if fields is not None:
                    masks[self._key(fields, raw.path)].append(
                        (raw, index, fields))
                    break
            else:
                fields = _match(self.source, raw.path)
                if fields is not None:
                    sources[self._key(fields, raw.path)].append((raw, fields))
        samples = []
        for key in sorted(sources):
            candidates = sources[key]
            if len(candidates) > 1:
                for raw, _ in candidates:
                    skips.append(('several images with the same key',
                                  raw.path))
                continue
            raw, fields = candidates[0]
            if self.tables:
                if key not in rows:
                    skips.append(('no row in the table files', raw.path))
                    continue
                fields = {**rows[key], **fields}
            if self.require_masks and not masks.get(key):
                skips.append(('image without a mask', raw.path))
                continue
            try:
                mask_entries = tuple(
                    (mask, index, self._translate({**fields, **mask_fields},
                                                  mask.path))
                    for mask, index, mask_fields in masks.get(key, []))
                fields = self._translate(fields, raw.path)
                key_text, group, part = self._finish(key, fields, raw.path)
            except SkipSample as skip:
                skips.append(skip.args)
                continue
            samples.append(Sample(key_text, group, part, raw, mask_entries,
                                  fields))
        for key, entries in masks.items():
            if key not in sources:
                skips.extend(('mask without an image', mask.path)
                             for mask, _, _ in entries)
        return Plan(samples, skips)

    def _decode_masks(self, sample: Sample, shape: Tuple[int, int],
                      mask_fit: Optional[str],
                      entries=None) -> Tuple[list, Counter]:
        structures, unexpected = [], Counter()
        for raw, index, fields in (sample.masks if entries is None else
                                   entries):
            decoder = self.masks[index].decoder
            if decoder.reads_file:
                found, stray = decoder.decode_file(raw, shape, fields)
            else:
                mask = fit_mask(decode_image(raw), shape, mask_fit)
                if mask is None:
                    raise SkipSample('mask size differs from the image',
                                     raw.path)
                found, stray = decoder.decode(mask, fields)
            for name, binary in found:
                if binary.shape != tuple(shape):
                    raise SkipSample('mask size differs from the image',
                                     raw.path)
            structures += found
            unexpected += stray
        return structures, unexpected


class ImageMaskPairs(PairedFiles):
    """2D images, each with one or more mask files.

    Args:
        keep_empty (bool): Keep images whose masks hold no structure.
        mask_fit (str, optional): How a mask of another size is fitted to
            its image (see :func:`~.masks.fit_mask`); skipped when None.
        image_plane (int, optional): Plane of a stacked volume file
            (MetaImage, NIfTI) used as the image.
        **kwargs: :class:`PairedFiles` arguments.
    """

    def __init__(self,
                 keep_empty: bool = True,
                 mask_fit: Optional[str] = None,
                 image_plane: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.keep_empty, self.mask_fit = keep_empty, mask_fit
        self.image_plane = image_plane

    def frames(self, sample, scratch):
        if self.image_plane is None:
            image = decode_image(sample.source)
        else:
            image = read_plane(sample.source, self.image_plane)
        structures, unexpected = self._decode_masks(sample, image.shape[:2],
                                                    self.mask_fit)
        if not self.keep_empty and not any(m.any() for _, m in structures):
            raise SkipSample('empty mask (this dataset keeps annotated '
                             'images only)', sample.source.path)
        yield Frame('', image, structures, unexpected)


class VolumePairs(PairedFiles):
    """3D or 2D+t volumes (MetaImage, NIfTI, NumPy stacks) with label volumes,
    sliced into 2D images.

    Args:
        axis (str): ``'axial'`` (array axis 0: z or time, streamed) or
            ``'sagittal'`` (the last array axis, x).
        keep_empty (bool): Keep slices whose label is empty.
        **kwargs: :class:`PairedFiles` arguments (one mask rule: the label).
    """

    def __init__(self, axis: str = 'axial', keep_empty: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if axis not in ('axial', 'sagittal'):
            raise ValueError(f'axis must be axial or sagittal, got {axis!r}')
        self.axis, self.keep_empty = axis, keep_empty

    def frames(self, sample, scratch):
        if len(sample.masks) != 1:
            raise SkipSample(f'{len(sample.masks)} label volumes for one '
                             'image volume', sample.source.path)
        label_raw, index, fields = sample.masks[0]
        decoder = self.masks[index].decoder
        image_slices, image_shape, value_range = self._slices(sample.source)
        label_slices, label_shape, _ = self._slices(label_raw, label=True)
        if label_shape[-2:] != image_shape[-2:] or (
                label_shape[0] != image_shape[0]
                and self.axis == 'axial'):
            raise SkipSample(
                f'label volume shape {label_shape} differs from image volume '
                f'shape {image_shape}', label_raw.path)
        for number, (image, label) in enumerate(
                zip(image_slices, label_slices)):
            structures, unexpected = decoder.decode(label, fields)
            if not self.keep_empty and not any(m.any() for _, m in structures):
                continue
            yield Frame(f'__{number:04d}', image, structures, unexpected,
                        number, value_range)

    def _slices(self, raw: RawFile, label: bool = False):
        """Slices, the slice-stack shape and the image intensity range."""
        if raw.path.lower().endswith('.npy'):
            array = load_npy(raw.read(), raw.path)
            if array.ndim == 4 and array.shape[-1] == 1:
                array = array[..., 0]
            if self.axis == 'sagittal':
                array = np.moveaxis(array, -1, 0)
            value_range = None if label else (array.min(), array.max())
            return iter(array), array.shape, value_range
        volume = open_volume(raw)
        if self.axis == 'sagittal':
            array = np.moveaxis(volume.read(), -1, 0)
            value_range = None if label else (array.min(), array.max())
            return iter(array), array.shape, value_range
        value_range = None
        if not label and volume.dtype != np.uint8:
            low, high = np.inf, -np.inf
            for plane in volume.slices():
                low, high = min(low, plane.min()), max(high, plane.max())
            value_range = (low, high)
        return volume.slices(), volume.shape, value_range


class VideoFrameMasks(PairedFiles):
    """Videos with mask images of some of their frames.

    The masks' patterns give ``frame``, the frame number in the video;
    ``frame_base`` is the number of the first frame. Frames without any mask
    file are not annotated and are not exported.

    Args:
        frame_base (int): Number of the first frame in the mask file names.
        **kwargs: :class:`PairedFiles` arguments.
    """

    def __init__(self, frame_base: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.frame_base = frame_base

    def frames(self, sample, scratch):
        by_frame = defaultdict(list)
        for entry in sample.masks:
            by_frame[int(entry[2]['frame']) - self.frame_base].append(entry)
        last = -1
        with _on_disk(sample.source, scratch) as path:
            for number, image in enumerate(
                    video_frames(path, sample.source.path)):
                last = number
                if number not in by_frame:
                    continue
                try:
                    structures, unexpected = self._decode_masks(
                        sample, image.shape[:2], None, by_frame[number])
                except SkipSample as skip:
                    yield skip
                    continue
                yield Frame(f'__{number:05d}', image, structures, unexpected,
                            number)
        for number in sorted(by_frame):
            if number > last:
                for raw, _, _ in by_frame[number]:
                    yield SkipSample('mask of a frame the video does not '
                                     'have', raw.path)


class VideoTracings(Layout):
    """Videos with traced polygons of some frames in CSV files (EchoNet).

    Args:
        videos (str): Regex of the video files (named groups give the key).
        tracings (str): Regex of the tracing CSV files (named groups are
            joined to the key fields of each row, e.g. the view).
        style (str): ``'dynamic'``: columns ``X1, Y1, X2, Y2``, the first row
            of a frame is the long axis and is dropped, the polygon is the
            X1/Y1 points then the X2/Y2 points reversed. ``'points'``:
            columns ``X, Y`` in order.
        name (str): Structure name.
        frame_base (int): Number of the first frame in the ``Frame`` column.
        **kwargs: :class:`Layout` arguments.
    """

    def __init__(self,
                 videos: str,
                 tracings: str,
                 style: str,
                 name: str,
                 frame_base: int = 0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.videos_pattern, self.tracings_pattern = videos, tracings
        self.videos, self.tracings = _compile(videos), _compile(tracings)
        self.style, self.name, self.frame_base = style, name, frame_base

    def expected(self):
        return [self.videos_pattern, self.tracings_pattern
                ] + self.describe_tables()

    def plan(self, files, scratch):
        skips = []
        rows, tables = self._read_tables(files, skips)
        traced: Dict[tuple, Dict[int, list]] = defaultdict(
            lambda: defaultdict(list))
        tracing_files = []
        for raw in files:
            file_fields = _match(self.tracings, raw.path)
            if file_fields is None:
                continue
            tracing_files.append(raw.path)
            text = raw.read().decode('utf-8-sig', errors='replace')
            for number, row in enumerate(csv.DictReader(io.StringIO(text)),
                                         2):
                where = f'{raw.path}:{number}'
                stem = (row.get('FileName') or '').strip()
                stem = stem[:-4] if stem.lower().endswith('.avi') else stem
                try:
                    frame = int(float(row['Frame'])) - self.frame_base
                    point = [float(row[c]) for c in (
                        ('X1', 'Y1', 'X2', 'Y2') if self.style == 'dynamic'
                        else ('X', 'Y'))]
                except (KeyError, TypeError, ValueError):
                    skips.append(('tracing row without a frame number or '
                                  'coordinates', where))
                    continue
                key = self._key({**file_fields, 'video': stem}, raw.path)
                traced[key][frame].append(point)
        samples = []
        for raw in files:
            fields = _match(self.videos, raw.path)
            if fields is None or raw.path in tables or self._excluded(
                    raw, skips):
                continue
            key = self._key(fields, raw.path)
            if key not in traced:
                skips.append(('video without tracings', raw.path))
                continue
            if self.tables:
                if key not in rows:
                    skips.append(('no row in the table files', raw.path))
                    continue
                fields = {**rows[key], **fields}
            polygons = {frame: self._polygon(points)
                        for frame, points in traced.pop(key).items()}
            try:
                fields = self._translate(fields, raw.path)
                key_text, group, part = self._finish(key, fields, raw.path)
            except SkipSample as skip:
                skips.append(skip.args)
                continue
            samples.append(Sample(key_text, group, part, raw, (), fields,
                                  polygons))
        for key in traced:
            skips.append(('tracings of a video that is not there',
                          '/'.join(key)))
        return Plan(samples, skips)

    def _polygon(self, points: List[List[float]]) -> List[float]:
        if self.style == 'dynamic':
            chords = points[1:]
            outline = [p[:2] for p in chords] + [p[2:] for p in chords[::-1]]
        else:
            outline = [p[:2] for p in points]
        return [v for point in outline for v in point]

    def frames(self, sample, scratch):
        polygons: Dict[int, List[float]] = sample.extra
        last = -1
        with _on_disk(sample.source, scratch) as path:
            for number, image in enumerate(
                    video_frames(path, sample.source.path)):
                last = number
                if number in polygons:
                    mask = rasterise_polygons([polygons[number]],
                                              *image.shape[:2])
                    yield Frame(f'__{number:05d}', image,
                                [(self.name, mask)], Counter(), number)
        for number in sorted(polygons):
            if number > last or number < 0:
                yield SkipSample(f'traced frame {number} is not in the video',
                                 sample.source.path)


class CocoPolygonFiles(Layout):
    """Images annotated by COCO files with polygons (one file per split).

    Args:
        images (str): Regex of the image files; group ``file`` is matched
            against the base name of the COCO ``file_name``.
        annotations (str): Regex of the COCO files; its named groups (e.g.
            the split) are fields of every image listed in it.
        **kwargs: :class:`Layout` arguments; the key is ``('file',)``.
    """

    def __init__(self, images: str, annotations: str, **kwargs) -> None:
        super().__init__(key=('file', ), **kwargs)
        self.images_pattern, self.annotations_pattern = images, annotations
        self.images, self.annotations = _compile(images), _compile(annotations)

    def expected(self):
        return [self.images_pattern, self.annotations_pattern]

    def plan(self, files, scratch):
        skips = []
        listed: Dict[str, Tuple[Fields, list]] = {}
        coco_files = set()
        for raw in files:
            file_fields = _match(self.annotations, raw.path)
            if file_fields is None:
                continue
            coco_files.add(raw.path)
            try:
                coco = json.loads(raw.read())
                names = {c['id']: str(c['name']) for c in coco['categories']}
                by_image = {img['id']: img['file_name'].rsplit('/', 1)[-1]
                            for img in coco['images']}
                shapes = defaultdict(list)
                for ann in coco.get('annotations', []):
                    polygons = ann['segmentation']
                    if not isinstance(polygons, list):
                        skips.append(('annotation that is not a polygon',
                                      f'{raw.path}: id {ann.get("id")}'))
                        continue
                    shapes[by_image[ann['image_id']]].append(
                        (names[ann['category_id']], polygons))
            except (ValueError, KeyError, TypeError) as err:
                skips.append((f'COCO file not readable ({err})', raw.path))
                continue
            for name in by_image.values():
                if name in listed:
                    skips.append(('image listed in two COCO files',
                                  f'{raw.path}: {name}'))
                    continue
                listed[name] = (file_fields, shapes.get(name, []))
        samples, seen = [], set()
        for raw in files:
            fields = _match(self.images, raw.path)
            if fields is None or raw.path in coco_files or self._excluded(
                    raw, skips):
                continue
            name = fields['file']
            if name not in listed:
                skips.append(('image not in the COCO files', raw.path))
                continue
            seen.add(name)
            file_fields, shapes = listed[name]
            try:
                all_fields = self._translate({**file_fields, **fields},
                                             raw.path)
                key_text, group, part = self._finish((name, ), all_fields,
                                                     raw.path)
            except SkipSample as skip:
                skips.append(skip.args)
                continue
            samples.append(Sample(key_text, group, part, raw, (), all_fields,
                                  shapes))
        skips.extend(('COCO entry without an image file', name)
                     for name in sorted(set(listed) - seen))
        return Plan(samples, skips)

    def frames(self, sample, scratch):
        image = decode_image(sample.source)
        height, width = image.shape[:2]
        structures = [(name, rasterise_polygons(polygons, height, width))
                      for name, polygons in sample.extra]
        yield Frame('', image, structures, Counter())


class Hdf5Frames(Layout):
    """Frames stored in an HDF5 file with per-frame group ids (cine clips).

    Args:
        file (str): Regex of the HDF5 file.
        image_key (str): Dataset of the images (frames, h, w).
        mask_key (str): Dataset of the masks.
        group_key (str): Dataset of the per-frame clip id (the group).
        frame_key (str): Dataset of the per-frame frame number.
        name (str): Structure name of the non-zero mask pixels.
        **kwargs: :class:`Layout` arguments; the key is ``('clip',)``.
    """

    def __init__(self, file: str, image_key: str, mask_key: str,
                 group_key: str, frame_key: str, name: str, **kwargs) -> None:
        super().__init__(key=('clip', ), **kwargs)
        self.file_pattern, self.file = file, _compile(file)
        self.image_key, self.mask_key = image_key, mask_key
        self.group_key, self.frame_key, self.name = group_key, frame_key, name

    def expected(self):
        return [f'{self.file_pattern} (datasets {self.image_key}, '
                f'{self.mask_key}, {self.group_key}, {self.frame_key})']

    def plan(self, files, scratch):
        import h5py
        skips, samples = [], []
        for raw in files:
            if _match(self.file, raw.path) is None:
                continue
            try:
                with h5py.File(raw.local_path(scratch), 'r') as h5:
                    clips = [_text(v) for v in h5[self.group_key][()]]
                    numbers = [int(v) for v in np.ravel(h5[self.frame_key][()])]
            except (OSError, KeyError) as err:
                skips.append((f'HDF5 file not readable ({err})', raw.path))
                continue
            by_clip = defaultdict(list)
            for index, clip in enumerate(clips):
                by_clip[clip].append((numbers[index], index))
            for clip in sorted(by_clip):
                fields = {'clip': clip}
                key_text, group, part = self._finish((clip, ), fields,
                                                     raw.path)
                samples.append(Sample(key_text, group, part, raw, (), fields,
                                      sorted(by_clip[clip])))
        return Plan(samples, skips)

    def frames(self, sample, scratch):
        import h5py
        with h5py.File(sample.source.local_path(scratch), 'r') as h5:
            for number, index in sample.extra:
                image = np.asarray(h5[self.image_key][index])
                mask = np.asarray(h5[self.mask_key][index])
                if mask.shape[:2] != image.shape[:2]:
                    yield SkipSample('mask size differs from the image',
                                     f'{sample.source.path}[{index}]')
                    continue
                yield Frame(f'__{number:05d}', image,
                            [(self.name, mask != 0)], Counter(), number)


def _text(value: Union[bytes, str, np.generic]) -> str:
    if isinstance(value, bytes):
        return value.decode('utf-8', errors='replace')
    if isinstance(value, np.ndarray):
        return '_'.join(_text(v) for v in value.ravel())
    return str(value.item() if hasattr(value, 'item') else value)
