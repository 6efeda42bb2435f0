"""Mask decoding: label values, thresholds, colour palettes, polygons; then
8-connected instances, orientation fixes and RLE encoding.

A decoder turns one mask (an array, or a polygon file) into named binary
structures and reports the values it did not expect, so that labels outside a
spec are counted in the build report instead of being dropped silently.
"""
import json
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils
from scipy import ndimage

from .readers import load_npy
from .rawfs import RawFile, RawReadError

# (structure name, binary mask) pairs, and unexpected value -> pixel count.
Structures = List[Tuple[str, np.ndarray]]
Decoded = Tuple[Structures, Counter]


def _format(name: str, fields: Mapping[str, str]) -> str:
    try:
        return name.format_map(fields)
    except KeyError as err:
        raise RawReadError(f'structure name {name!r} needs field {err}, '
                           f'known fields {sorted(fields)}')


def to_grey(mask: np.ndarray) -> np.ndarray:
    """Greyscale of a grey, BGR or BGRA mask (grey masks keep their values)."""
    if mask.ndim == 3 and mask.shape[2] == 1:
        return mask[..., 0]
    if mask.ndim == 3:
        colour = mask[..., :3]
        if (colour == colour[..., :1]).all():
            return colour[..., 0]
        return cv2.cvtColor(np.ascontiguousarray(colour), cv2.COLOR_BGR2GRAY)
    return mask


def _value_counts(values: np.ndarray) -> Counter:
    uniques, counts = np.unique(values, return_counts=True)
    return Counter({_plain(v): int(c) for v, c in zip(uniques, counts)})


def _plain(value) -> str:
    if isinstance(value, np.ndarray):
        return str(tuple(int(v) for v in value))
    return str(value.item() if hasattr(value, 'item') else value)


class MaskDecoder:
    """Base class: decodes a mask array into named structures.

    ``reads_file`` decoders get the raw file instead (polygons, pickles).
    """
    reads_file = False

    def decode(self, mask: np.ndarray, fields: Mapping[str, str]) -> Decoded:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class Threshold(MaskDecoder):
    """Grey value ``>= min_value`` is the structure (JPEG and anti-aliased masks).

    Args:
        name (str): Structure name; ``{field}`` is filled from the sample.
        min_value (int): Smallest grey value inside the structure.
    """

    def __init__(self, name: str, min_value: int = 128) -> None:
        self.name, self.min_value = name, min_value

    def decode(self, mask, fields):
        return [(_format(self.name, fields),
                 to_grey(mask) >= self.min_value)], Counter()

    def describe(self):
        return f'grey >= {self.min_value} -> {self.name}'


class Equals(MaskDecoder):
    """Grey value ``== value`` is the structure; other non-zero values are
    reported (e.g. anti-aliased edges).

    Args:
        name (str): Structure name (``{field}`` templates allowed).
        value (int): The structure's grey value.
    """

    def __init__(self, name: str, value: int = 255) -> None:
        self.name, self.value = name, value

    def decode(self, mask, fields):
        grey = to_grey(mask)
        inside = grey == self.value
        other = grey[(grey != 0) & ~inside]
        return [(_format(self.name, fields), inside)], _value_counts(other)

    def describe(self):
        return f'grey == {self.value} -> {self.name}'


class NonZero(MaskDecoder):
    """Every non-zero pixel is the structure.

    Args:
        name (str): Structure name (``{field}`` templates allowed).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def decode(self, mask, fields):
        return [(_format(self.name, fields), to_grey(mask) != 0)], Counter()

    def describe(self):
        return f'non-zero -> {self.name}'


class LabelMap(MaskDecoder):
    """Raw label values; values not in the map are reported.

    Args:
        labels (dict[int, str]): Label value -> structure name.
    """

    def __init__(self, labels: Mapping[int, str]) -> None:
        self.labels = dict(labels)

    def decode(self, mask, fields):
        values = to_grey(mask)
        known = np.isin(values, list(self.labels))
        unexpected = _value_counts(values[~known & (values != 0)])
        return [(_format(name, fields), values == value)
                for value, name in self.labels.items()], unexpected

    def describe(self):
        return ', '.join(f'{v} -> {n}' for v, n in self.labels.items())


class Palette(MaskDecoder):
    """Exact RGB colours; other non-black colours are reported.

    Args:
        colours (dict[tuple, str]): ``(r, g, b)`` -> structure name.
    """

    def __init__(self, colours: Mapping[Tuple[int, int, int], str]) -> None:
        self.colours = dict(colours)

    def decode(self, mask, fields):
        if mask.ndim != 3 or mask.shape[2] < 3:
            raise RawReadError('colour-coded mask expected, got a '
                               f'{mask.shape} array')
        rgb = mask[..., 2::-1]
        structures, known = [], np.zeros(mask.shape[:2], bool)
        for colour, name in self.colours.items():
            inside = (rgb == colour).all(-1)
            known |= inside
            structures.append((_format(name, fields), inside))
        stray = rgb[~known & rgb.any(-1)]
        counts = Counter()
        if len(stray):
            uniques, numbers = np.unique(stray, axis=0, return_counts=True)
            counts = Counter({_plain(c): int(n)
                              for c, n in zip(uniques, numbers)})
        return structures, counts

    def describe(self):
        return ', '.join(f'RGB{c} -> {n}' for c, n in self.colours.items())


class ChannelsNonZero(MaskDecoder):
    """A (channel, h, w) label stack: each channel's non-zero pixels.

    Args:
        names (list[str]): Structure name per channel; the last one is used
            for any further channel.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)

    def decode(self, mask, fields):
        if mask.ndim == 2:
            mask = mask[None]
        return [(self.names[min(i, len(self.names) - 1)], channel != 0)
                for i, channel in enumerate(mask)], Counter()

    def describe(self):
        return 'channel k non-zero -> ' + ', '.join(self.names)


def rasterise_polygons(polygons: Sequence[Sequence[float]], height: int,
                       width: int) -> np.ndarray:
    """Filled union of flat ``[x0, y0, x1, y1, ...]`` polygons (COCO rules)."""
    parts = [list(map(float, p)) for p in polygons if len(p) >= 6]
    if not parts:
        return np.zeros((height, width), bool)
    rles = mask_utils.frPyObjects(parts, height, width)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


class PointListJson(MaskDecoder):
    """A JSON file holding one polygon as ``[[x, y], ...]``.

    Args:
        name (str): Structure name (``{field}`` templates allowed).
    """
    reads_file = True

    def __init__(self, name: str) -> None:
        self.name = name

    def decode_file(self, raw: RawFile, shape, fields) -> Decoded:
        points = _json(raw)
        try:
            flat = [float(v) for point in points for v in point[:2]]
        except (TypeError, ValueError):
            raise RawReadError(f'{raw.path}: expected a list of [x, y] points')
        return [(_format(self.name, fields),
                 rasterise_polygons([flat], *shape[:2]))], Counter()

    def describe(self):
        return f'JSON [[x, y], ...] polygon -> {self.name}'


class LabelMeShapes(MaskDecoder):
    """A LabelMe JSON file; each shape is one structure, unknown labels reported.

    Args:
        labels (dict[str, str]): LabelMe label -> structure name.
    """
    reads_file = True

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = dict(labels)

    def decode_file(self, raw, shape, fields):
        document = _json(raw)
        structures, unexpected = [], Counter()
        for entry in document.get('shapes', []):
            label = str(entry.get('label', '')).strip()
            points = entry.get('points') or []
            if label not in self.labels:
                unexpected[f'label {label!r}'] += 1
                continue
            if entry.get('shape_type', 'polygon') == 'rectangle' and len(
                    points) == 2:
                (x0, y0), (x1, y1) = points
                points = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
            flat = [float(v) for point in points for v in point[:2]]
            structures.append((self.labels[label],
                               rasterise_polygons([flat], *shape[:2])))
        return structures, unexpected

    def describe(self):
        return ', '.join(f'{k!r} -> {v}' for k, v in self.labels.items())


class NpyStructureDict(MaskDecoder):
    """A pickled ``.npy`` dict with ``structures``: name -> binary mask.

    Args:
        labels (dict[str, str]): Stored structure name -> structure name;
            other stored names are reported.
    """
    reads_file = True

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = dict(labels)

    def decode_file(self, raw, shape, fields):
        loaded = load_npy(raw.read(), raw.path)
        content = loaded.item() if isinstance(loaded, np.ndarray) else loaded
        if not isinstance(content, dict) or not isinstance(
                content.get('structures'), dict):
            raise RawReadError(f'{raw.path}: expected a dict with a '
                               '"structures" dict')
        structures, unexpected = [], Counter()
        for key, mask in content['structures'].items():
            if key not in self.labels:
                unexpected[f'structure {key!r}'] += 1
                continue
            structures.append((self.labels[key], np.asarray(mask) != 0))
        return structures, unexpected

    def describe(self):
        return ', '.join(f'{k!r} -> {v}' for k, v in self.labels.items())


def _json(raw: RawFile):
    try:
        return json.loads(raw.read().decode('utf-8', errors='replace'))
    except ValueError as err:
        raise RawReadError(f'{raw.path}: not valid JSON ({err})')


# Fixes applied to a mask array before decoding, when its size differs from
# the image's (spec field ``mask_fit``).
def fit_mask(mask: np.ndarray, shape: Tuple[int, int],
             how: Optional[str]) -> Optional[np.ndarray]:
    """The mask brought to ``shape`` by ``how``, or None if it cannot be.

    ``how``: None (sizes must match), ``'resize'`` (nearest neighbour) or
    ``'rotate'`` (90 degrees clockwise when that makes the sizes match).
    """
    if mask.shape[:2] == tuple(shape):
        return mask
    if how == 'resize':
        return cv2.resize(mask, (shape[1], shape[0]),
                          interpolation=cv2.INTER_NEAREST)
    if how == 'rotate' and mask.shape[1::-1] == tuple(shape[:2]):
        return np.ascontiguousarray(np.rot90(mask, -1))
    return None


def fill_holes(mask: np.ndarray) -> np.ndarray:
    return ndimage.binary_fill_holes(mask)


MASK_OPS = {'fill_holes': fill_holes}


def orient(array: np.ndarray, orientation: Optional[str]) -> np.ndarray:
    """Apply a spec orientation fix to an image or mask (first two axes)."""
    if orientation is None:
        return array
    if orientation == 'rot180':
        return np.ascontiguousarray(array[::-1, ::-1])
    if orientation == 'flipud':
        return np.ascontiguousarray(array[::-1])
    raise ValueError(f'unknown orientation {orientation!r}')


def instances(mask: np.ndarray) -> List[np.ndarray]:
    """8-connected components of a binary mask, largest first."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return []
    # Labelling only the occupied box is much faster for small structures.
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask[box].astype(np.uint8), connectivity=8)
    order = sorted(range(1, count), key=lambda k: -stats[k, cv2.CC_STAT_AREA])
    parts = []
    for k in order:
        part = np.zeros(mask.shape, bool)
        part[box] = labels == k
        parts.append(part)
    return parts


def encode(mask: np.ndarray) -> Dict:
    """COCO annotation fields of a binary mask: compressed RLE, bbox, area."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    bbox = [float(v) for v in mask_utils.toBbox(rle)]
    rle['counts'] = rle['counts'].decode('ascii')
    return dict(segmentation=dict(size=[int(v) for v in rle['size']],
                                  counts=rle['counts']),
                bbox=bbox,
                area=int(mask.sum()))


def png_ready(image: np.ndarray,
              value_range: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """An array PNG can hold: uint8, or uint16 when the data needs more.

    Integers that fit in 0..255 (or 0..65535) keep their values; floats in
    [0, 1] are scaled to 0..255 (NumPy stacks of ASUS); anything else is
    rescaled linearly to 16 bits over ``value_range`` (the whole volume's, so
    the slices of one volume stay comparable).
    """
    if image.dtype == bool:
        return image.astype(np.uint8) * 255
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.dtype == np.uint8:
        return image
    low, high = value_range if value_range is not None else (image.min(),
                                                              image.max())
    if np.issubdtype(image.dtype, np.integer):
        if low >= 0 and high <= 255:
            return image.astype(np.uint8)
        if low >= 0 and high <= 65535:
            return image.astype(np.uint16)
    elif low >= 0 and high <= 1:
        return np.round(image * 255).astype(np.uint8)
    elif low >= 0 and high <= 255:
        return np.round(image).astype(np.uint8)
    span = max(float(high) - float(low), 1e-12)
    scaled = (image.astype(np.float64) - low) / span * 65535
    return np.round(np.clip(scaled, 0, 65535)).astype(np.uint16)
