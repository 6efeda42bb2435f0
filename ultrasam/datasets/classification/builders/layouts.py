"""Layouts of the classification datasets that the US-43d layouts do not cover.

Each gives its samples a ``label`` field. Images of the other datasets are
found with the US-43d ``ImageMaskPairs`` (no masks, labels from folders,
file names or tables).
"""
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import replace
from typing import Iterator, List, Mapping, Sequence, Tuple

import cv2
import numpy as np

from ...us43d.layouts import (CocoPolygonFiles, Fields, Frame, Layout,
                              PairedFiles, Plan, Sample, SkipSample, _compile,
                              _match, _on_disk)
from ...us43d.rawfs import RawFile, RawReadError
from ...us43d.readers import decode_image, video_frames


def _image_frame(sample: Sample) -> Iterator[Frame]:
    yield Frame('', decode_image(sample.source), [], Counter())


class CocoImageLabels(CocoPolygonFiles):
    """COCO files per split: an image's class is the category of its lesion
    annotations (all of one category; otherwise it is skipped).

    Args:
        categories (dict[str, str]): COCO category name -> class name.
        **kwargs: :class:`CocoPolygonFiles` arguments.
    """

    def __init__(self, categories: Mapping[str, str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.categories = dict(categories)

    def plan(self, files: List[RawFile], scratch: str) -> Plan:
        planned = super().plan(files, scratch)
        samples, skips = [], list(planned.skips)
        for sample in planned.samples:
            names = sorted({name for name, _ in sample.extra})
            if not names:
                skips.append(('image without a lesion annotation',
                              sample.source.path))
            elif len(names) > 1:
                skips.append((f'lesions of several categories ({names})',
                              sample.source.path))
            elif names[0] not in self.categories:
                skips.append((f'unknown category {names[0]!r}',
                              sample.source.path))
            else:
                sample.fields['label'] = self.categories[names[0]]
                samples.append(sample)
        return Plan(samples, skips)

    def frames(self, sample, scratch):
        return _image_frame(sample)


class VocImages(Layout):
    """Pascal-VOC style: ``JPEGImages`` with one ``Annotations/<id>.xml`` per
    image whose ``<object><name>`` values are the class (all objects of an
    image must agree), and official split lists (``ImageSets/Main/*.txt``).

    Args:
        images (str): Regex of the images; group ``id`` is the key.
        annotations (str): Regex of the XML files; group ``id``.
        tables (tuple[Table]): The split lists (giving ``id`` and the part
            field).
        **kwargs: :class:`Layout` arguments (``values`` translate ``label``,
            ``part`` / ``parts`` the split).
    """

    def __init__(self, images: str, annotations: str, **kwargs) -> None:
        super().__init__(key=('id', ), **kwargs)
        self.images_pattern, self.annotations_pattern = images, annotations
        self.images, self.annotations = _compile(images), _compile(annotations)

    def expected(self) -> List[str]:
        return [self.images_pattern, self.annotations_pattern
                ] + self.describe_tables()

    def plan(self, files: List[RawFile], scratch: str) -> Plan:
        skips: List[Tuple[str, str]] = []
        rows, tables = self._read_tables(files, skips)
        labels, images = {}, {}
        for raw in files:
            if raw.path in tables or self._excluded(raw, skips):
                continue
            fields = _match(self.annotations, raw.path)
            if fields is not None:
                labels[fields['id']] = raw
                continue
            fields = _match(self.images, raw.path)
            if fields is not None:
                images.setdefault(fields['id'], []).append((raw, fields))
        samples = []
        for key in sorted(images):
            candidates = images[key]
            if len(candidates) > 1:
                skips.extend(('several images with the same key', raw.path)
                             for raw, _ in candidates)
                continue
            raw, fields = candidates[0]
            try:
                if key not in labels:
                    raise SkipSample('image without an annotation file',
                                     raw.path)
                if (key, ) not in rows:
                    raise SkipSample('not in the official split lists',
                                     raw.path)
                fields = {**rows[(key, )], **fields,
                          'label': self._label(labels[key])}
                fields = self._translate(fields, raw.path)
                key_text, group, part = self._finish((key, ), fields,
                                                     raw.path)
            except SkipSample as skip:
                skips.append(skip.args)
                continue
            samples.append(Sample(key_text, group, part, raw, (), fields))
        skips.extend(('annotation without an image', raw.path)
                     for key, raw in sorted(labels.items())
                     if key not in images)
        return Plan(samples, skips)

    @staticmethod
    def _label(raw: RawFile) -> str:
        """The one class name of the objects of a VOC annotation file."""
        try:
            root = ElementTree.fromstring(raw.read())
        except (ElementTree.ParseError, RawReadError) as err:
            raise SkipSample(f'annotation file not readable ({err})',
                             raw.path) from None
        names = sorted({(element.text or '').strip()
                        for element in root.iter('object')
                        for element in element.iter('name')})
        if not names:
            raise SkipSample('annotation without an object', raw.path)
        if len(names) > 1:
            raise SkipSample(f'objects of several classes ({names})',
                             raw.path)
        return names[0]

    def frames(self, sample, scratch):
        return _image_frame(sample)


class MatRecords(Layout):
    """A MATLAB file holding one record per patient: id, class, a further
    value and a stack of frames, read by position (``data[0][i]``, fields 0,
    1 and 3), each frame an image of the patient's group. A record is named
    ``<file>/<patient id>`` in reports.

    Args:
        file (str): Regex of the ``.mat`` file.
        variable (str): The MATLAB variable holding the records.
        **kwargs: :class:`Layout` arguments (``values`` translate ``label``).
    """

    def __init__(self, file: str, variable: str, **kwargs) -> None:
        super().__init__(key=('patient', ), group='{patient}', **kwargs)
        self.file_pattern, self.file = file, _compile(file)
        self.variable = variable

    def expected(self) -> List[str]:
        return [self.file_pattern]

    def plan(self, files: List[RawFile], scratch: str) -> Plan:
        from scipy.io import loadmat
        skips: List[Tuple[str, str]] = []
        samples = []
        for raw in files:
            if self._excluded(raw, skips) or not self.file.search(raw.path):
                continue
            try:
                records = loadmat(raw.local_path(scratch))[self.variable][0]
            except (ValueError, KeyError, IndexError, OSError,
                    NotImplementedError) as err:
                skips.append((f'MATLAB file not readable ({err!r})',
                              raw.path))
                continue
            for index, record in enumerate(records):
                where = f'{raw.path}: record {index}'
                try:
                    patient = str(np.asarray(record[0]).reshape(-1)[0])
                    label = str(int(np.asarray(record[1]).reshape(-1)[0]))
                    frames = self._frames(np.asarray(record[3]), where)
                    fields = self._translate(
                        dict(patient=patient, label=label), where)
                    key_text, group, part = self._finish((patient, ), fields,
                                                         where)
                except SkipSample as skip:
                    skips.append(skip.args)
                    continue
                except (IndexError, TypeError, ValueError) as err:
                    skips.append((f'record not readable ({err})', where))
                    continue
                record_file = replace(raw, path=f'{raw.path}/{patient}')
                samples.append(Sample(key_text, group, part, record_file, (),
                                      fields, frames))
        return Plan(samples, skips)

    @staticmethod
    def _frames(stack: np.ndarray, where: str) -> np.ndarray:
        """(frames, H, W): the frame axis is the shortest of a 3-D stack."""
        if stack.ndim == 2:
            return stack[None]
        if stack.ndim != 3:
            raise SkipSample(f'image stack of shape {stack.shape}', where)
        return np.moveaxis(stack, int(np.argmin(stack.shape)), 0)

    def frames(self, sample, scratch):
        for index, frame in enumerate(sample.extra):
            yield Frame(f'__{index}', frame, [], Counter(), index=index)


class SampledVideos(PairedFiles):
    """Videos and images, one sample per file: a video gives frames sampled
    at ``fps`` (every ``round(video fps / fps)``-th frame), at most
    ``max_frames``; an image gives itself. Labels come from the path.

    Args:
        video_suffixes (tuple[str]): File suffixes read as videos.
        fps (float): Frames per second kept.
        max_frames (int): Frames kept per video at most.
        fallback_fps (float): Frame rate assumed when a video has none.
        fold_case (tuple[str]): Fields lower-cased before translation.
        **kwargs: :class:`PairedFiles` arguments (``source``, ``key``, ...);
            there are no mask files.
    """

    def __init__(self,
                 video_suffixes: Sequence[str],
                 fps: float,
                 max_frames: int,
                 fallback_fps: float = 30.,
                 fold_case: Sequence[str] = (),
                 **kwargs) -> None:
        super().__init__(masks=(), require_masks=False, **kwargs)
        self.video_suffixes = tuple(s.lower() for s in video_suffixes)
        self.fps, self.max_frames = fps, max_frames
        self.fallback_fps = fallback_fps
        self.fold_case = tuple(fold_case)

    def _translate(self, fields: Fields, where: str) -> Fields:
        folded = {name: value.lower() if name in self.fold_case else value
                  for name, value in fields.items()}
        return super()._translate(folded, where)

    def frames(self, sample, scratch):
        if not sample.source.path.lower().endswith(self.video_suffixes):
            yield from _image_frame(sample)
            return
        with _on_disk(sample.source, scratch) as path:
            step = self._step(path)
            kept = 0
            for index, frame in enumerate(
                    video_frames(path, sample.source.path)):
                if index % step:
                    continue
                yield Frame(f'__{index:05d}', frame, [], Counter(),
                            index=index)
                kept += 1
                if kept == self.max_frames:
                    return

    def _step(self, path: str) -> int:
        capture = cv2.VideoCapture(path)
        rate = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.
        capture.release()
        if not np.isfinite(rate) or rate <= 0:
            rate = self.fallback_fps
        return max(1, round(rate / self.fps))

