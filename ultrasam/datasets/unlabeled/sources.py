"""Where unlabeled images come from: folders, COCO files, US-43d builds, phantoms.

A source is a dict in the dataset config with exactly one of these keys:

- ``folder=DIR``: every image below ``DIR`` (PNG, JPEG, BMP, TIFF, DICOM; a
  file without suffix is read when it is DICOM). Its source name is ``name``
  (default: the folder's base name) or, with ``per_subfolder=True``, the name
  of the first-level subfolder holding the image (one dataset per subfolder).
  ``exclude`` lists glob patterns of relative paths to leave out (e.g.
  ``['*_mask*']``).
- ``coco=ANN_FILE``: the images of a COCO file (``images`` is their folder,
  default ``<dir of ANN_FILE>/../images``); an image's ``source`` field names
  its dataset, else ``name`` (default: the file's stem).
- ``us43d=OUT``: a US-43d build (``tools/dataset_converters/build_us43d.py``);
  ``splits`` (default ``['train']``) selects ``OUT/annotations/<split>.json``.
  Images are named by their ``source`` field (the canonical dataset name).
- ``phantom=DIR``: the synthetic phantom set of ``generator`` (the arguments
  of ``ensure_phantom_coco``), written into ``DIR`` when absent;
  ``split`` (default ``'train'``) selects its images.
"""
import fnmatch
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Tuple

import pydicom

from ..image_io import is_dicom
from ..synthetic import ensure_phantom_coco

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm',
                  '.dicom')
SOURCE_KINDS = ('folder', 'coco', 'us43d', 'phantom')
_OPTIONS = {
    'folder': {'name': None, 'per_subfolder': False, 'exclude': []},
    'coco': {'images': None, 'name': None},
    'us43d': {'splits': ['train']},
    'phantom': {'generator': None, 'split': 'train'},
}
_DICOM_SUFFIXES = ('.dcm', '.dicom')
_DICOM_PREAMBLE = 132


class UnlabeledDataError(ValueError):
    """A source, hold-out setting or manifest of an unlabeled dataset is
    unusable; the message names it and says what to do."""


class ImageFile(NamedTuple):
    """One file an image (or, for DICOM, several frames) can come from.

    Attributes:
        path: File path as found (joined to the source's root).
        source: Name of the dataset it belongs to.
        frame: The frame a COCO entry names; None for every frame / not DICOM.
        dicom: Whether the file is DICOM (its frames are counted later).
    """
    path: str
    source: str
    frame: Optional[int]
    dicom: bool


def parse_source(entry: object, index: int) -> dict:
    """Check a source dict of the config and fill its defaults.

    Args:
        entry (dict): e.g. ``dict(folder='data/scans', exclude=['*_mask*'])``.
        index (int): Its position in ``sources``, for messages.

    Returns:
        dict: ``{'kind': ..., 'path': ..., **options}`` with every option set.

    Raises:
        UnlabeledDataError: naming the source and the wrong key or value.
    """
    where = f'sources[{index}]'
    if not isinstance(entry, dict):
        raise UnlabeledDataError(
            f'{where} must be a dict with one of the keys {SOURCE_KINDS}, got '
            f'{entry!r}')
    kinds = [kind for kind in SOURCE_KINDS if kind in entry]
    if len(kinds) != 1:
        raise UnlabeledDataError(
            f'{where}={entry!r} needs exactly one of the keys {SOURCE_KINDS}')
    kind = kinds[0]
    options = _OPTIONS[kind]
    unknown = sorted(set(entry) - {kind} - set(options))
    if unknown:
        raise UnlabeledDataError(
            f'{where}: unknown key(s) {unknown} for a {kind} source; it '
            f'takes {kind}=PATH and {sorted(options)}')
    path = entry[kind]
    if not isinstance(path, str) or not path:
        raise UnlabeledDataError(f'{where}: {kind} must be a path, got '
                                 f'{path!r}')
    parsed = dict(kind=kind, path=path)
    for key, default in options.items():
        value = entry.get(key, default)
        parsed[key] = list(value) if isinstance(value, (list, tuple)) else value
    if kind == 'folder':
        parsed['name'] = parsed['name'] or osp.basename(osp.normpath(path))
    if kind == 'us43d':
        if isinstance(entry.get('splits'), str) or not parsed['splits']:
            raise UnlabeledDataError(
                f'{where}: splits must be a non-empty list such as '
                f"['train'], got {entry.get('splits')!r}")
    if kind == 'phantom' and not isinstance(parsed['generator'], dict):
        raise UnlabeledDataError(
            f'{where}: a phantom source needs generator=dict(num_train=..., '
            'num_test=..., seed=..., image_size=...)')
    return parsed


def prepare_source(source: dict) -> Optional[str]:
    """Make what a source needs before it is listed (phantom sets).

    Returns:
        str | None: ``'generated'`` / ``'reused'`` for a phantom source.
    """
    if source['kind'] != 'phantom':
        return None
    return ensure_phantom_coco(source['path'], **source['generator'])


def list_files(source: dict) -> Tuple[List[ImageFile], Dict[str, int]]:
    """The image files of a source, and the size of every file read to list
    them (images and annotation files), to notice later changes.

    Raises:
        UnlabeledDataError: a missing folder or annotation file, or an
            annotation file without an ``images`` list.
    """
    if source['kind'] == 'folder':
        return _folder_files(source)
    if source['kind'] == 'coco':
        ann_file = source['path']
        images = source['images'] or osp.join(
            osp.dirname(osp.dirname(osp.abspath(ann_file))), 'images')
        name = source['name'] or osp.splitext(osp.basename(ann_file))[0]
        return _coco_files(ann_file, images, name)
    root = source['path']
    if source['kind'] == 'us43d':
        splits, name = source['splits'], osp.basename(osp.normpath(root))
    else:
        splits, name = [source['split']], 'phantom'
    files, sizes = [], {}
    for split in splits:
        ann_file = osp.join(root, 'annotations', f'{split}.json')
        if source['kind'] == 'us43d' and not osp.isfile(ann_file):
            raise UnlabeledDataError(
                f'us43d source {root}: annotation file {ann_file} not found; '
                'build it with: python tools/dataset_converters/'
                f'build_us43d.py --raw-root RAW --out {root}')
        split_files, split_sizes = _coco_files(ann_file,
                                               osp.join(root, 'images'),
                                               name)
        files += split_files
        sizes.update(split_sizes)
    return files, sizes


def dicom_frame_count(path: str) -> int:
    """Number of frames of a DICOM file, from its header only.

    Raises:
        ValueError: the header cannot be read.
    """
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception as err:
        raise ValueError(f'cannot read the DICOM header: {err}') from err
    try:
        return max(int(header.get('NumberOfFrames') or 1), 1)
    except (TypeError, ValueError) as err:
        raise ValueError('invalid NumberOfFrames '
                         f'{header.get("NumberOfFrames")!r}') from err


def _folder_files(source: dict) -> Tuple[List[ImageFile], Dict[str, int]]:
    root = source['path']
    if not osp.isdir(root):
        raise UnlabeledDataError(
            f'folder source {root}: no such directory' +
            ('' if not osp.exists(root) else ' (it is a file)'))
    patterns = [pattern.lower() for pattern in source['exclude']]
    files, sizes = [], {}
    for directory, subdirs, names in os.walk(root, followlinks=True):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith('.'))
        for name in sorted(names):
            if name.startswith('.'):
                continue
            path = osp.join(directory, name)
            relative = osp.relpath(path, root).replace(os.sep, '/')
            if any(fnmatch.fnmatch(relative.lower(), p) for p in patterns):
                continue
            suffix = osp.splitext(name)[1].lower()
            if suffix in IMAGE_SUFFIXES:
                dicom = suffix in _DICOM_SUFFIXES
            elif not suffix and _has_dicom_magic(path):
                dicom = True
            else:
                continue
            dataset = (relative.split('/')[0]
                       if source['per_subfolder'] and '/' in relative else
                       source['name'])
            files.append(ImageFile(path, dataset, None, dicom))
            sizes[path] = osp.getsize(path)
    return files, sizes


def _has_dicom_magic(path: str) -> bool:
    with open(path, 'rb') as file:
        return is_dicom(file.read(_DICOM_PREAMBLE))


def _coco_files(ann_file: str, image_dir: str,
                default_name: str) -> Tuple[List[ImageFile], Dict[str, int]]:
    if not osp.isfile(ann_file):
        raise UnlabeledDataError(f'annotation file {ann_file} not found')
    try:
        with open(ann_file, encoding='utf-8') as file:
            coco = json.load(file)
    except (OSError, ValueError) as err:
        raise UnlabeledDataError(
            f'{ann_file}: not a readable JSON file ({err})') from err
    images = coco.get('images') if isinstance(coco, dict) else None
    if not isinstance(images, list):
        raise UnlabeledDataError(
            f'{ann_file}: no "images" list (not a COCO annotation file)')
    files, sizes = [], {ann_file: osp.getsize(ann_file)}
    for index, image in enumerate(images):
        name = image.get('file_name') if isinstance(image, dict) else None
        if not isinstance(name, str) or not name:
            raise UnlabeledDataError(
                f'{ann_file}: images[{index}] has no file_name')
        frame = image.get('frame')
        if frame is not None and (not isinstance(frame, int) or frame < 0):
            raise UnlabeledDataError(
                f'{ann_file}: images[{index}] ({name}): frame must be a '
                f'non-negative integer, got {frame!r}')
        path = osp.join(image_dir, name)
        files.append(
            ImageFile(path, str(image.get('source') or default_name), frame,
                      False))
        sizes[path] = osp.getsize(path) if osp.isfile(path) else -1
    return files, sizes
