"""The manifest of an unlabeled set: which images pretraining uses, and why the
others were left out (held out, copies of held-out images, duplicates,
unreadable).

Building it lists every source, counts DICOM frames, hashes the content of every
image (file bytes, or decoded pixels) and applies the hold-out list and the
duplicate removal; the result is a JSON file that later runs reuse while their
settings and input files are unchanged.
"""
import hashlib
import json
import os
import os.path as osp
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.logging import print_log

from ..image_io import read_ultrasound_image
from .holdout import HoldoutList
from .sources import (ImageFile, UnlabeledDataError, dicom_frame_count,
                      list_files, parse_source, prepare_source)

MANIFEST_FORMAT = 'ultrasam-unlabeled-manifest'
MANIFEST_VERSION = 1
#: ``'file'``: identical file bytes (and frame); ``'pixels'``: identical
#: decoded images (catches re-encoded copies, decodes every image once);
#: None: no hashing, no duplicate removal.
DEDUP_MODES = ('file', 'pixels', None)
_HASH_CHUNK = 1 << 20
_EXAMPLES = 3


class Entry(NamedTuple):
    """One image of the candidate list (a DICOM frame counts as one image)."""
    path: str
    frame: Optional[int]
    source: str


def manifest_settings(sources: Sequence[dict], holdout: Sequence[str],
                      holdout_folders: Sequence[str], frame_stride: int,
                      deduplicate: Optional[str]) -> dict:
    """Validate the dataset arguments; the settings recorded in the manifest.

    Raises:
        UnlabeledDataError: naming the wrong argument.
    """
    if isinstance(sources, dict) or not sources:
        raise UnlabeledDataError(
            'sources must be a non-empty list of source dicts, e.g. '
            "[dict(us43d='data/us43d'), dict(folder='data/my_scans')]")
    if (isinstance(frame_stride, bool) or not isinstance(frame_stride, int)
            or frame_stride < 1):
        raise UnlabeledDataError(
            f'frame_stride must be an integer >= 1 (1: every DICOM frame), '
            f'got {frame_stride!r}')
    if deduplicate not in DEDUP_MODES:
        raise UnlabeledDataError(
            f'deduplicate must be one of {DEDUP_MODES}, got {deduplicate!r}')
    if isinstance(holdout_folders, str):
        raise UnlabeledDataError(
            'holdout_folders must be a list of folders, got the string '
            f'{holdout_folders!r}')
    if holdout_folders and deduplicate is None:
        raise UnlabeledDataError(
            'holdout_folders finds copies of held-out images by content hash; '
            "set deduplicate='file' or 'pixels'")
    try:
        holdout = list(HoldoutList(holdout).names)
    except (TypeError, ValueError) as err:
        raise UnlabeledDataError(str(err)) from err
    settings = dict(
        sources=[parse_source(source, i) for i, source in enumerate(sources)],
        holdout=holdout,
        holdout_folders=list(holdout_folders),
        frame_stride=frame_stride,
        deduplicate=deduplicate)
    # The form it has after a JSON round trip (tuples become lists).
    return json.loads(json.dumps(settings))


def scan_sources(settings: dict
                 ) -> Tuple[List[ImageFile], List[ImageFile], Dict[str, int]]:
    """Prepare and list every source and hold-out folder.

    Returns:
        tuple: image files of the sources (in source order), image files of
        ``holdout_folders``, and ``{path: size}`` of every file listed
        (images and annotation files).
    """
    files, holdout_files, sizes = [], [], {}
    for source in settings['sources']:
        status = prepare_source(source)
        if status is not None:
            print_log(f'phantom source {source["path"]}: {status}',
                      logger='current')
        source_files, source_sizes = list_files(source)
        files += source_files
        sizes.update(source_sizes)
    for folder in settings['holdout_folders']:
        folder_files, folder_sizes = list_files(
            parse_source(dict(folder=folder), 0))
        holdout_files += folder_files
        sizes.update(folder_sizes)
    return files, holdout_files, sizes


def build_manifest(settings: dict, num_threads: int = 8) -> dict:
    """List, hash, hold out and deduplicate; see the module docstring.

    Args:
        settings (dict): From :func:`manifest_settings`.
        num_threads (int): Threads hashing files. Defaults to 8.

    Returns:
        dict: The manifest (``settings``, ``summary``, ``images``,
        ``excluded``, ``files``).

    Raises:
        UnlabeledDataError: a source cannot be listed, or no image is left.
    """
    start = time.perf_counter()
    files, holdout_files, sizes = scan_sources(settings)
    holdout = HoldoutList(settings['holdout'])
    excluded, unusable_holdout = [], []
    entries = list(_expand_frames(files, settings['frame_stride'], excluded))
    holdout_entries = list(_expand_frames(holdout_files, 1, unusable_holdout))
    mode = settings['deduplicate']
    hashes = {}
    if mode is not None:
        hashes = _hash_all(entries, mode, excluded, num_threads)
        if holdout_entries:
            hashes.update(_hash_all(holdout_entries, mode, unusable_holdout,
                                    num_threads))
    if unusable_holdout:
        print_log(f'{len(unusable_holdout)} image(s) of holdout_folders '
                  'could not be read, copies of them cannot be recognised, '
                  f'e.g. {unusable_holdout[0]}', logger='current')

    held_out_keys = {}
    for entry in holdout_entries:
        key = _content_key(entry, hashes)
        if key is not None:
            held_out_keys.setdefault(key, entry.path)
    unreadable = {(item['path'], item['frame']) for item in excluded}
    candidates = []
    for entry in entries:
        if (entry.path, entry.frame) in unreadable:
            continue  # already excluded, with the reason
        name = holdout.match(entry.source)
        if name is None:
            candidates.append(entry)
            continue
        key = _content_key(entry, hashes)
        if key is not None:
            held_out_keys.setdefault(key, entry.path)
        excluded.append(_excluded(entry, f'held out ({name})'))
    images, first_seen = [], {}
    for entry in candidates:
        key = _content_key(entry, hashes)
        if key is not None and key in held_out_keys:
            excluded.append(_excluded(
                entry, f'copy of held-out image {held_out_keys[key]}'))
        elif key is not None and key in first_seen:
            excluded.append(_excluded(entry,
                                      f'duplicate of {first_seen[key]}'))
        else:
            if key is not None:
                first_seen[key] = entry.path
            images.append(dict(path=entry.path, frame=entry.frame,
                               source=entry.source,
                               sha256=key[0] if key else None))
    summary = dict(
        images=len(images),
        held_out={name: sum(item['reason'] == f'held out ({name})'
                            for item in excluded)
                  for name in holdout.names},
        sources=_source_counts(images, excluded),
        seconds=round(time.perf_counter() - start, 1))
    if not images:
        raise UnlabeledDataError(
            f'no image left to pretrain on: {len(excluded)} image(s) found '
            f'in {len(settings["sources"])} source(s), all excluded: '
            f'{_reason_counts(excluded)}')
    return dict(format=MANIFEST_FORMAT, version=MANIFEST_VERSION,
                settings=settings, summary=summary, images=images,
                excluded=excluded, files=sizes)


def write_manifest(manifest: dict, path: str) -> None:
    """Write through a temporary file in the same folder (never a partial
    manifest)."""
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = osp.join(directory,
                         f'.{osp.basename(path)}.{os.getpid()}.tmp')
    try:
        with open(temporary, 'w', encoding='utf-8') as file:
            json.dump(manifest, file, indent=1)
        os.replace(temporary, path)
    except BaseException:
        if osp.exists(temporary):
            os.remove(temporary)
        raise


def read_manifest(path: str) -> dict:
    """Read a manifest written by :func:`write_manifest`.

    Raises:
        UnlabeledDataError: not a readable manifest of this version.
    """
    try:
        with open(path, encoding='utf-8') as file:
            manifest = json.load(file)
    except (OSError, ValueError) as err:
        raise UnlabeledDataError(
            f'manifest {path} cannot be read ({err}); delete it to rebuild '
            'it') from err
    if (not isinstance(manifest, dict)
            or manifest.get('format') != MANIFEST_FORMAT
            or manifest.get('version') != MANIFEST_VERSION):
        raise UnlabeledDataError(
            f'{path} is not an unlabeled-set manifest of version '
            f'{MANIFEST_VERSION} ({MANIFEST_FORMAT}); it is never '
            'overwritten: point ann_file elsewhere, or delete it')
    return manifest


def stale_reason(manifest: dict, settings: dict,
                 sizes: Dict[str, int]) -> Optional[str]:
    """Why a manifest does not describe these settings and files, or None."""
    if manifest['settings'] != settings:
        changed = sorted(key for key in settings
                         if manifest['settings'].get(key) != settings[key])
        return (f'it was made with other settings ({", ".join(changed)} '
                'differ)')
    recorded = manifest['files']
    added = sorted(set(sizes) - set(recorded))
    removed = sorted(set(recorded) - set(sizes))
    resized = sorted(path for path in set(sizes) & set(recorded)
                     if sizes[path] != recorded[path])
    problems = [f'{what} {len(paths)} (e.g. {", ".join(paths[:_EXAMPLES])})'
                for what, paths in (('files added:', added),
                                    ('files gone:', removed),
                                    ('files changed:', resized)) if paths]
    if problems:
        return 'its input files changed since: ' + '; '.join(problems)
    return None


def _expand_frames(files: Sequence[ImageFile], stride: int,
                   excluded: List[dict]) -> Iterator[Entry]:
    """One entry per image: a DICOM found in a folder gives every
    ``stride``-th frame; an unreadable DICOM header is excluded."""
    for file in files:
        if not file.dicom:
            yield Entry(file.path, file.frame, file.source)
            continue
        try:
            count = dicom_frame_count(file.path)
        except ValueError as err:
            excluded.append(dict(path=file.path, frame=None,
                                 source=file.source,
                                 reason=f'unreadable: {err}'))
            continue
        if count == 1:
            yield Entry(file.path, None, file.source)
        else:
            for frame in range(0, count, stride):
                yield Entry(file.path, frame, file.source)


def _hash_all(entries: Sequence[Entry], mode: str, excluded: List[dict],
              num_threads: int) -> dict:
    """Content hashes: ``{path: hex}`` for ``'file'``, ``{(path, frame): hex}``
    for ``'pixels'``. What cannot be read is added to ``excluded``."""
    if mode == 'file':
        jobs = list(dict.fromkeys(entry.path for entry in entries))
        function = _file_hash
    else:
        jobs = list(dict.fromkeys((e.path, e.frame) for e in entries))
        function = _pixel_hash
    print_log(f'unlabeled set: hashing {len(jobs)} '
              f'{"files" if mode == "file" else "images"}', logger='current')
    with ThreadPoolExecutor(max(1, num_threads)) as pool:
        results = list(pool.map(function, jobs))
    hashes, failures = {}, {}
    for job, (digest, error) in zip(jobs, results):
        if error is None:
            hashes[job] = digest
        else:
            failures[job] = error
    for entry in entries:
        job = entry.path if mode == 'file' else (entry.path, entry.frame)
        if job in failures:
            excluded.append(_excluded(entry,
                                      f'unreadable: {failures[job]}'))
    return hashes


def _file_hash(path: str) -> Tuple[Optional[str], Optional[str]]:
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as file:
            for chunk in iter(lambda: file.read(_HASH_CHUNK), b''):
                digest.update(chunk)
    except OSError as err:
        return None, err.strerror or type(err).__name__
    return digest.hexdigest(), None


def _pixel_hash(job: Tuple[str, Optional[int]]
                ) -> Tuple[Optional[str], Optional[str]]:
    path, frame = job
    try:
        image = read_ultrasound_image(path, frame)
    except (OSError, ValueError) as err:
        return None, str(err)
    digest = hashlib.sha256(repr(image.shape).encode())
    digest.update(image.tobytes())
    return digest.hexdigest(), None


def _content_key(entry: Entry, hashes: dict) -> Optional[tuple]:
    """What two identical images share: the file hash and frame (the first
    frame when unnamed), or the pixel hash."""
    if entry.path in hashes:
        return hashes[entry.path], entry.frame or 0
    digest = hashes.get((entry.path, entry.frame))
    return None if digest is None else (digest, )


def _excluded(entry: Entry, reason: str) -> dict:
    return dict(path=entry.path, frame=entry.frame, source=entry.source,
                reason=reason)


# Kinds of exclusion, by how their reason starts.
_REASON_KINDS = (('held out', 'held_out'),
                 ('copy of held-out', 'copies_of_held_out'),
                 ('duplicate', 'duplicates'), ('unreadable', 'unreadable'))


def _reason_kind(reason: str) -> str:
    return next(kind for prefix, kind in _REASON_KINDS
                if reason.startswith(prefix))


def _source_counts(images: List[dict],
                   excluded: List[dict]) -> Dict[str, Dict[str, int]]:
    """Per source: images found, used and excluded by kind."""
    counts = {}

    def count(source: str, kind: str) -> None:
        stat = counts.setdefault(source, dict(
            found=0, used=0,
            **{name: 0 for _, name in _REASON_KINDS}))
        stat['found'] += 1
        stat[kind] += 1

    for image in images:
        count(image['source'], 'used')
    for item in excluded:
        count(item['source'], _reason_kind(item['reason']))
    return counts


def _reason_counts(excluded: List[dict]) -> str:
    counts = {}
    for item in excluded:
        kind = _reason_kind(item['reason'])
        counts[kind] = counts.get(kind, 0) + 1
    return ', '.join(f'{count} {kind.replace("_", " ")}'
                     for kind, count in counts.items())
