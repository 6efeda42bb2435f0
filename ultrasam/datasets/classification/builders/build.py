"""Build one classification dataset: images and seeded, group-aware label lists.

Output (``OUT/<slug>/``, read by the ``UltrasoundClsDataset`` configs)::

    images/<key>[__<frame>].png               original resolution and bit depth
    annotations/{train,val,test}.txt          "<path under images/> <label>"
    annotations/index.csv                     file, label, split, group,
                                              original file and frame
    manifest.json                             settings, inputs, classes, report

A dataset is written into a hidden sibling folder and renamed into place when
complete. An existing ``OUT/<slug>`` built from the same inputs with the same
settings and spec version is reused; anything else there is never touched.
"""
import csv
import hashlib
import json
import os
import os.path as osp
import secrets
import shutil
from collections import Counter, defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ...us43d.convert import safe_name
from ...us43d.layouts import SkipSample
from ...us43d.masks import png_ready
from ...us43d.rawfs import (RawReadError, dataset_files, fingerprint,
                            scan)
from ...us43d.splits import SPLITS, assign_splits
from .spec import SPEC_VERSION, ClassificationSpec

MANIFEST = 'manifest.json'
DEFAULT_RATIOS = (0.7, 0.1, 0.2)
_EXAMPLES = 3


class BuildError(RuntimeError):
    """A user error that stops the build of a dataset (the message says what
    to do)."""


def locate(raw_root: str, spec: ClassificationSpec) -> Optional[str]:
    """The folder under ``raw_root`` holding the dataset, or None."""
    for folder in spec.search_folders:
        if osp.isdir(osp.join(raw_root, folder)):
            return folder
    return None


def build_dataset(spec: ClassificationSpec,
                  raw_root: str,
                  out_root: str,
                  seed: int = 0,
                  ratios: Sequence[float] = DEFAULT_RATIOS,
                  log: Callable[[str], None] = print) -> dict:
    """Build (or reuse) ``out_root/<slug>`` from ``raw_root/<name>``.

    Args:
        spec (ClassificationSpec): The dataset.
        raw_root (str): Folder with one sub-folder per dataset.
        out_root (str): Output root.
        seed (int): Split seed.
        ratios (tuple[float]): train, val, test ratios of the seeded group
            split (an official part replaces the carved one).
        log (callable): Receives progress lines.

    Returns:
        dict: The manifest (``status`` ``'built'`` or ``'reused'``).

    Raises:
        BuildError: Dataset not found, nothing usable, or ``OUT/<slug>``
            holding something else.
    """
    folder = locate(raw_root, spec)
    if folder is None:
        raise BuildError(
            f'{spec.name}: not found: expected {osp.join(raw_root, spec.name)}'
            f'/ holding {spec.download} (download: {spec.url})')
    settings = dict(seed=seed, ratios=list(ratios))
    digest = fingerprint(dataset_files(raw_root, folder))
    target = osp.join(out_root, spec.slug)
    existing = _existing_build(target, spec, settings, digest)
    if existing is not None:
        log(f'{spec.name}: {target} is up to date, reused')
        return dict(existing, status='reused')
    os.makedirs(out_root, exist_ok=True)
    staging = osp.join(out_root,
                       f'.{spec.slug}.partial-{os.getpid()}-'
                       f'{secrets.token_hex(4)}')
    os.makedirs(osp.join(staging, 'images'))
    try:
        manifest = _build_into(staging, spec, raw_root, folder, settings)
        manifest.update(fingerprint=digest, folder=folder)
        _write_json(osp.join(staging, MANIFEST), manifest)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f'{spec.name}: {target}: ' + _summary(manifest))
    return dict(manifest, status='built')


def _existing_build(target: str, spec: ClassificationSpec, settings: dict,
                    digest: str) -> Optional[dict]:
    """The manifest of an identical build in ``target``, None when there is
    nothing there; raises when there is anything else."""
    # A missing or empty folder is replaced by the build (an atomic rename).
    if not osp.exists(target) or (osp.isdir(target)
                                  and not os.listdir(target)):
        return None
    path = osp.join(target, MANIFEST)
    try:
        with open(path, encoding='utf-8') as file:
            manifest = json.load(file)
    except (OSError, ValueError):
        raise BuildError(f'{target} exists and is not a classification build '
                         f'(no readable {MANIFEST}); it is never touched: '
                         'choose another --out or move it away') from None
    wanted = dict(spec_version=SPEC_VERSION, dataset=spec.name,
                  settings=settings, fingerprint=digest)
    changed = [key for key, value in wanted.items()
               if manifest.get(key) != value]
    if changed:
        raise BuildError(
            f'{target} was built with a different {", ".join(changed)} '
            '(inputs, seed, ratios or spec version); it is never overwritten: '
            'build into another --out or delete it')
    return manifest


def _build_into(staging: str, spec: ClassificationSpec, raw_root: str,
                folder: str, settings: dict) -> dict:
    scratch = osp.join(staging, '.scratch')
    scanned = scan(raw_root, folder, scratch)
    plan = spec.layout.plan(scanned.files, scratch)
    records, skips = [], list(plan.skips)
    for sample in plan.samples:
        label = sample.fields.get('label')
        if label not in spec.classes:
            skips.append((f'label {label!r} not among the classes',
                          sample.source.path))
            continue
        try:
            for frame in spec.layout.frames(sample, scratch):
                records.append(
                    _write_frame(staging, sample, frame,
                                 spec.classes.index(label)))
        except SkipSample as skip:
            skips.append(tuple(skip.args))
        except RawReadError as err:
            skips.append(('unreadable file', str(err)))
        except cv2.error as err:
            skips.append(('unreadable file', f'{sample.source.path}: {err}'))
    shutil.rmtree(scratch, ignore_errors=True)
    records, conflicts = _drop_conflicting_copies(records)
    skips += conflicts
    if not records:
        reasons = ', '.join(sorted({reason for reason, _ in skips}))
        raise BuildError(
            f'{spec.name}: no labelled image found under '
            f'{osp.join(raw_root, folder)}: expected '
            f'{"; ".join(spec.layout.expected())}' +
            (f' (skipped: {reasons})' if reasons else ''))
    report = assign_splits(records, spec.name, settings['seed'],
                           settings['ratios'], ('train', 'val', 'test'))
    os.makedirs(osp.join(staging, 'annotations'))
    _write_index(osp.join(staging, 'annotations', 'index.csv'), records,
                 spec.classes)
    splits = {}
    for split in SPLITS:
        chosen = sorted((r for r in records if r['split'] == split),
                        key=lambda r: r['file'])
        with open(osp.join(staging, 'annotations', f'{split}.txt'), 'w',
                  encoding='utf-8') as file:
            file.writelines(f'{r["file"]} {r["label"]}\n' for r in chosen)
        counts = Counter(r['label'] for r in chosen)
        splits[split] = dict(
            images=len(chosen),
            groups=len({r['group'] for r in chosen}),
            per_class={name: counts[index]
                       for index, name in enumerate(spec.classes)})
    return dict(
        spec_version=SPEC_VERSION,
        dataset=spec.name,
        settings=settings,
        classes=list(spec.classes),
        groups=spec.groups,
        official_split=spec.official_split,
        official_parts=report.official,
        split_warnings=report.warnings,
        merged_identical_image_groups=report.merged_groups,
        splits=splits,
        skipped=_summarise(skips),
        licence=spec.licence,
        sources=list(spec.sources),
        unverified=list(spec.unverified),
        notes=list(spec.notes))


def _write_frame(staging: str, sample, frame, label: int) -> dict:
    pixels = png_ready(frame.image, frame.value_range)
    name = f'{safe_name(sample.key)}{frame.suffix}.png'
    path = osp.join(staging, 'images', name)
    if not cv2.imwrite(path, pixels):
        raise OSError(f'cannot write {path}')
    return dict(file=name,
                frame='' if frame.index is None else frame.index,
                label=label,
                group=sample.group,
                part=sample.part,
                original_file=sample.source.path,
                pixel_hash=hashlib.sha1(
                    np.ascontiguousarray(pixels).tobytes()).hexdigest(),
                # Identical images are kept in one split (assign_splits).
                annotations=[label])


def _write_index(path: str, records: List[dict],
                 classes: Sequence[str]) -> None:
    """Where every output image comes from, and where it went."""
    with open(path, 'w', newline='', encoding='utf-8') as file:
        writer = csv.writer(file)
        writer.writerow(('file', 'label', 'class', 'split', 'group',
                         'original_file', 'frame'))
        for record in sorted(records, key=lambda r: r['file']):
            writer.writerow((record['file'], record['label'],
                             classes[record['label']], record['split'],
                             record['group'], record['original_file'],
                             record['frame']))


def _drop_conflicting_copies(
        records: List[dict]) -> Tuple[List[dict], List[Tuple[str, str]]]:
    """Remove every copy of an image that occurs with different labels."""
    labels = defaultdict(set)
    for record in records:
        labels[record['pixel_hash']].add(record['label'])
    kept, skips = [], []
    for record in records:
        if len(labels[record['pixel_hash']]) > 1:
            skips.append(('identical image with different labels',
                          record['original_file']))
        else:
            kept.append(record)
    return kept, skips


def _summarise(skips: Sequence[Sequence[str]]) -> Dict[str, dict]:
    by_reason = defaultdict(list)
    for reason, path in skips:
        by_reason[reason].append(path)
    return {reason: dict(count=len(paths), examples=paths[:_EXAMPLES])
            for reason, paths in sorted(by_reason.items())}


def _summary(manifest: dict) -> str:
    splits = ', '.join(f'{split} {info["images"]} images / {info["groups"]} '
                       'groups' for split, info in manifest['splits'].items())
    skipped = sum(entry['count'] for entry in manifest['skipped'].values())
    return f'{splits}; {skipped} skipped'


def _write_json(path: str, data: dict) -> None:
    with open(path, 'w', encoding='utf-8') as file:
        json.dump(data, file, indent=1)
