"""Worker side of a build: one sample's frames to PNG files and annotations."""
import hashlib
import os
import os.path as osp
import re
from collections import Counter
from typing import Dict, List

import cv2
import numpy as np

from .layouts import Frame, Sample, SkipSample
from .masks import MASK_OPS, encode, instances, orient, png_ready
from .rawfs import RawReadError
from .spec import DatasetSpec, get_spec


def safe_name(key: str) -> str:
    """A file-name-safe form of a sample key, unique per key."""
    cleaned = re.sub(r'[^A-Za-z0-9._-]+', '_', key)
    if cleaned != key:
        cleaned += '-' + hashlib.sha1(key.encode()).hexdigest()[:6]
    return cleaned


def convert_sample(spec_name: str, sample: Sample, images_dir: str,
                   scratch: str) -> Dict:
    """Convert one sample; never raises for bad input.

    Returns:
        dict: ``records`` (image entries with their annotations), ``skips``
        (``(reason, path)``) and ``unexpected`` (value -> pixel count).
    """
    spec = get_spec(spec_name)
    records: List[Dict] = []
    skips: List = []
    unexpected: Counter = Counter()
    try:
        for frame in spec.layout.frames(sample, scratch):
            if isinstance(frame, SkipSample):
                skips.append(tuple(frame.args))
                continue
            records.append(_write(spec, sample, frame, images_dir,
                                  unexpected))
            unexpected.update(frame.unexpected)
    except SkipSample as skip:
        skips.append(tuple(skip.args))
    except RawReadError as err:
        skips.append(('unreadable file', str(err)))
    except cv2.error as err:
        skips.append(('unreadable file', f'{sample.source.path}: {err}'))
    return dict(records=records, skips=skips, unexpected=dict(unexpected))


def _write(spec: DatasetSpec, sample: Sample, frame: Frame, images_dir: str,
           unexpected: Counter) -> Dict:
    image = orient(frame.image, spec.orientation)
    inside = None
    if spec.mask_within_image:
        inside = image != 0
        if inside.ndim == 3:
            inside = inside.any(-1)
    annotations = []
    for name, mask in frame.structures:
        if name not in spec.categories:
            unexpected[f'structure {name!r}'] += int(mask.sum())
            continue
        mask = orient(mask, spec.orientation)
        for op in spec.mask_ops:
            mask = MASK_OPS[op](mask)
        if inside is not None:
            mask = mask & inside
        annotations.extend(
            dict(structure=name, **encode(part)) for part in instances(mask))
    pixels = png_ready(image, frame.value_range)
    file_name = f'{spec.slug}/{safe_name(sample.key)}{frame.suffix}.png'
    path = osp.join(images_dir, file_name)
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, pixels):
        raise OSError(f'cannot write {path}')
    record = dict(file_name=file_name,
                  height=int(pixels.shape[0]),
                  width=int(pixels.shape[1]),
                  group=f'{spec.namespace}/{sample.group}',
                  part=sample.part,
                  original_file=sample.source.path,
                  pixel_hash=hashlib.sha1(
                      np.ascontiguousarray(pixels).tobytes()).hexdigest(),
                  annotations=annotations)
    if frame.index is not None:
        record['source_frame'] = int(frame.index)
    return record
