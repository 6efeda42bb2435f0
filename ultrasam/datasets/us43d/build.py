"""Build US-43d: convert each dataset found under RAW, split, write COCO files.

Output layout (``OUT``)::

    images/<slug>/<key>[__<frame>].png      original resolution and bit depth
    annotations/{train,val,test}.json       merged, one category 'object'
    annotations/per_dataset/<slug>/{train,val,test}.json   original categories
    manifest.json                           settings, inputs, per-dataset report
    parts/<slug>.json                       converted dataset (for resuming)

A dataset is converted once into ``parts/``; a rerun reuses finished parts
(an interrupted build resumes at the dataset it was converting), and the
splits and COCO files are rewritten from the parts.
"""
import json
import multiprocessing
import os
import os.path as osp
import shutil
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.utils import ProgressBar

from .convert import convert_sample
from .rawfs import RawReadError, dataset_files, fingerprint, scan
from .spec import SPEC_VERSION, DatasetSpec, all_specs
from .splits import SPLITS, assign_splits

MANIFEST = 'manifest.json'
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
ORIGINAL_RATIOS = (0.95, 0.05, 0.)
# "noSmall": instances under this many pixels (a 4 x 4 patch) are removed.
DEFAULT_MIN_AREA = 16
MERGED_CATEGORY = dict(id=1, name='object', supercategory='none')
_EXAMPLES = 3


class BuildError(RuntimeError):
    """A user error that stops the build (the message says what to do)."""


@dataclass(frozen=True)
class BuildSettings:
    """What decides the content of an output folder besides the inputs.

    Args:
        datasets (tuple[str]): Requested canonical names.
        seed (int): Split seed.
        ratios (tuple[float]): train, val, test ratios of the group splits.
        recipe (str): ``'default'`` or ``'original'``.
        min_area (int): Instances smaller than this (pixels) are removed.
    """
    datasets: Tuple[str, ...]
    seed: int = 0
    ratios: Tuple[float, float, float] = DEFAULT_RATIOS
    recipe: str = 'default'
    min_area: int = DEFAULT_MIN_AREA

    def as_dict(self) -> dict:
        data = asdict(self)
        data['datasets'] = list(self.datasets)
        data['ratios'] = list(self.ratios)
        return data


def locate(raw_root: str, spec: DatasetSpec) -> Optional[str]:
    """The folder under RAW holding the dataset, or None."""
    for folder in spec.search_folders:
        if osp.isdir(osp.join(raw_root, folder)):
            return folder
    return None


def missing_message(spec: DatasetSpec, raw_root: str) -> str:
    return (f'{spec.name}: not found: expected '
            f'{osp.join(raw_root, spec.name)}/ holding {spec.download} '
            f'(download: {spec.url})')


def _inside(path: str, parent: str) -> bool:
    path, parent = osp.realpath(path), osp.realpath(parent)
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def _write_json(path: str, data) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    partial_path = path + '.partial'
    with open(partial_path, 'w') as f:
        json.dump(data, f)
    os.replace(partial_path, path)


def _read_json(path: str):
    with open(path) as f:
        return json.load(f)


class Builder:
    """Builds (or resumes) US-43d into ``out`` from ``raw_root``.

    Args:
        raw_root (str): Folder with one sub-folder per dataset.
        out (str): Output folder.
        settings (BuildSettings): Selection, seed, ratios, recipe.
        workers (int): Processes converting samples (1: in this process).
        log (callable): Receives progress and report lines.
        progress (bool): Show a progress bar per dataset.
    """

    def __init__(self,
                 raw_root: str,
                 out: str,
                 settings: BuildSettings,
                 workers: int = 1,
                 log: Callable[[str], None] = print,
                 progress: bool = True) -> None:
        self.raw_root, self.out = raw_root, out
        self.settings, self.workers = settings, max(1, workers)
        self.log, self.progress = log, progress
        names = {s.name: s for s in all_specs()}
        self.specs = [names[n] for n in settings.datasets]

    # checks ------------------------------------------------------------
    def _check_paths(self) -> None:
        if not osp.isdir(self.raw_root):
            raise BuildError(f'--raw-root {self.raw_root} is not a folder')
        if _inside(self.out, self.raw_root) or _inside(self.raw_root,
                                                       self.out):
            raise BuildError(f'--out {self.out} and --raw-root '
                             f'{self.raw_root} overlap; the builder never '
                             'writes under the raw root')

    def _check_out(self) -> Optional[dict]:
        """The existing manifest, after refusing a foreign or different OUT."""
        if not osp.exists(self.out) or not os.listdir(self.out):
            return None
        path = osp.join(self.out, MANIFEST)
        if not osp.isfile(path):
            raise BuildError(f'{self.out} exists and is not a US-43d build '
                             f'(no {MANIFEST}); choose an empty --out')
        manifest = _read_json(path)
        if manifest.get('spec_version') != SPEC_VERSION:
            raise BuildError(
                f'{self.out} was built with spec version '
                f'{manifest.get("spec_version")}, this is {SPEC_VERSION}; '
                'build into a new --out')
        if manifest.get('settings') != self.settings.as_dict():
            old = manifest.get('settings', {})
            changed = [k for k, v in self.settings.as_dict().items()
                       if old.get(k) != v]
            raise BuildError(
                f'{self.out} was built with other settings '
                f'({", ".join(f"{k}={old.get(k)!r}" for k in changed)}); '
                'build into a new --out')
        return manifest

    # build -------------------------------------------------------------
    def run(self) -> dict:
        """Convert what is missing, then split and write; returns the manifest."""
        self._check_paths()
        self._check_out()
        found = {}
        for spec in self.specs:
            folder = locate(self.raw_root, spec)
            if folder is None:
                if osp.isfile(self._part_path(spec)):
                    # The raw files may be deleted once converted.
                    done = _read_json(self._part_path(spec))
                    if done['spec_version'] == SPEC_VERSION:
                        found[spec.name] = (done['folder'],
                                            done['fingerprint'])
                continue
            digest = fingerprint(dataset_files(self.raw_root, folder))
            part = self._part_path(spec)
            if osp.isfile(part):
                done = _read_json(part)
                if (done['fingerprint'], done['spec_version']) != (
                        digest, SPEC_VERSION):
                    raise BuildError(
                        f'{spec.name} in {self.out} was built from other '
                        f'inputs than {osp.join(self.raw_root, folder)} now '
                        'holds; build into a new --out')
            found[spec.name] = (folder, digest)
        os.makedirs(self.out, exist_ok=True)
        _write_json(osp.join(self.out, MANIFEST),
                    dict(spec_version=SPEC_VERSION,
                         settings=self.settings.as_dict(),
                         complete=False))
        problems = {}
        for spec in self.specs:
            if spec.name not in found:
                self.log(missing_message(spec, self.raw_root))
                continue
            if osp.isfile(self._part_path(spec)):
                self.log(f'{spec.name}: already converted, reused')
                continue
            try:
                problem = self._convert(spec, *found[spec.name])
            except RawReadError as err:
                problem = f'{spec.name}: failed: {err}'
            if problem:
                self.log(problem)
                problems[spec.name] = problem
        manifest = self._merge(found, problems)
        _write_json(osp.join(self.out, MANIFEST), manifest)
        for line in report_lines(manifest):
            self.log(line)
        return manifest

    def _part_path(self, spec: DatasetSpec) -> str:
        return osp.join(self.out, 'parts', f'{spec.slug}.json')

    def _convert(self, spec: DatasetSpec, folder: str,
                 digest: str) -> Optional[str]:
        """Convert one dataset into ``parts/``; a message when nothing is."""
        images_dir = osp.join(self.out, 'images')
        scratch = osp.join(self.out, '.scratch', spec.slug)
        shutil.rmtree(osp.join(images_dir, spec.slug), ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
        scanned = scan(self.raw_root, folder, scratch)
        plan = spec.layout.plan(scanned.files, scratch)
        self.log(f'{spec.name}: {len(scanned.files)} files in '
                 f'{osp.join(self.raw_root, folder)}, {len(plan.samples)} '
                 f'samples')
        work = partial(convert_sample, spec.name, images_dir=images_dir,
                       scratch=scratch)
        records, skips = [], list(plan.skips)
        unexpected: Counter = Counter()
        bar = ProgressBar(len(plan.samples)) if (self.progress
                                                 and plan.samples) else None
        for result in self._map(work, plan.samples):
            records += result['records']
            skips += result['skips']
            unexpected.update(result['unexpected'])
            if bar is not None:
                bar.update()
        if bar is not None:
            self.log('')
        shutil.rmtree(scratch, ignore_errors=True)
        if not records:
            # No part file: a rerun looks again once the files are fixed.
            hint = ''.join(f'; cannot read {a} (extract it)'
                           for a in scanned.unsupported)
            reasons = ', '.join(sorted({reason for reason, _ in skips}))
            return (f'{spec.name}: nothing converted from '
                    f'{osp.join(self.raw_root, folder)}: expected '
                    f'{"; ".join(spec.layout.expected())}{hint}' +
                    (f' (skipped: {reasons})' if reasons else ''))
        _write_json(
            self._part_path(spec),
            dict(dataset=spec.name,
                 spec_version=SPEC_VERSION,
                 folder=folder,
                 fingerprint=digest,
                 files=len(scanned.files),
                 duplicate_copies=scanned.duplicates,
                 unsupported_archives=scanned.unsupported,
                 unreadable_archives=scanned.unreadable,
                 records=records,
                 skips=[list(s) for s in skips],
                 unexpected=dict(unexpected)))
        return None

    def _map(self, work, samples):
        if self.workers == 1 or len(samples) < 2:
            return map(work, samples)
        method = 'fork' if 'fork' in multiprocessing.get_all_start_methods(
        ) else 'spawn'
        pool = multiprocessing.get_context(method).Pool(self.workers)

        def results():
            with pool:
                yield from pool.imap(work, samples)

        return results()

    # merge -------------------------------------------------------------
    def _merge(self, found: Dict[str, Tuple[str, str]],
               problems: Dict[str, str]) -> dict:
        settings = self.settings
        use_official = ('train', 'val', 'test')
        merged = {split: dict(images=[], annotations=[]) for split in SPLITS}
        image_id = annotation_id = 0
        datasets = {}
        for spec in self.specs:
            if spec.name in problems:
                datasets[spec.name] = dict(status='not converted',
                                           message=problems[spec.name])
                continue
            if spec.name not in found:
                datasets[spec.name] = dict(
                    status='missing',
                    message=missing_message(spec, self.raw_root))
                continue
            part = _read_json(self._part_path(spec))
            records = part['records']
            removed = 0
            for record in records:
                kept = [a for a in record['annotations']
                        if a['area'] >= settings.min_area]
                removed += len(record['annotations']) - len(kept)
                record['annotations'] = kept
            if settings.recipe == 'original':
                use_official = ('test', ) if spec.original_test else ()
            split_report = assign_splits(records, spec.namespace,
                                         settings.seed, settings.ratios,
                                         use_official)
            category_ids = {n: i for i, n in enumerate(spec.categories, 1)}
            own = {split: dict(images=[], annotations=[]) for split in SPLITS}
            stats = {split: dict(images=0, instances=0, groups=set())
                     for split in SPLITS}
            for record in records:
                image_id += 1
                split = record['split']
                image = dict(id=image_id,
                             file_name=record['file_name'],
                             height=record['height'],
                             width=record['width'],
                             source=spec.name,
                             group=record['group'],
                             original_file=record['original_file'])
                if 'source_frame' in record:
                    image['source_frame'] = record['source_frame']
                merged[split]['images'].append(image)
                own[split]['images'].append(image)
                stats[split]['images'] += 1
                stats[split]['groups'].add(record['group'])
                for ann in record['annotations']:
                    annotation_id += 1
                    entry = dict(id=annotation_id,
                                 image_id=image_id,
                                 segmentation=ann['segmentation'],
                                 area=ann['area'],
                                 bbox=ann['bbox'],
                                 iscrowd=0,
                                 structure=ann['structure'])
                    merged[split]['annotations'].append(
                        dict(entry, category_id=1))
                    own[split]['annotations'].append(
                        dict(entry,
                             category_id=category_ids[ann['structure']]))
                    stats[split]['instances'] += 1
            categories = [dict(id=i, name=n, supercategory=spec.anatomy)
                          for n, i in category_ids.items()]
            for split in SPLITS:
                _write_json(
                    osp.join(self.out, 'annotations', 'per_dataset',
                             spec.slug, f'{split}.json'),
                    dict(own[split], categories=categories))
            datasets[spec.name] = dict(
                status='built',
                folder=part['folder'],
                fingerprint=part['fingerprint'],
                files=part['files'],
                duplicate_copies=part['duplicate_copies'],
                unsupported_archives=part['unsupported_archives'],
                unreadable_archives=part['unreadable_archives'],
                splits={s: dict(images=v['images'],
                                instances=v['instances'],
                                groups=len(v['groups']))
                        for s, v in stats.items()},
                skipped=_summarise(part['skips']),
                small_removed=removed,
                unexpected_values=dict(
                    Counter(part['unexpected']).most_common(10)),
                official_parts=split_report.official,
                split_notes=dict(
                    refined_groups=split_report.refined_groups,
                    merged_identical_image_groups=split_report.merged_groups,
                    identical_images_across_official_parts=split_report.
                    identical_across_official,
                    warnings=split_report.warnings),
                unverified=list(spec.unverified),
                changes=list(spec.changes))
        for split in SPLITS:
            _write_json(osp.join(self.out, 'annotations', f'{split}.json'),
                        dict(merged[split], categories=[MERGED_CATEGORY]))
        return dict(spec_version=SPEC_VERSION,
                    settings=settings.as_dict(),
                    complete=all(d['status'] == 'built'
                                 for d in datasets.values()),
                    datasets=datasets)


def _summarise(skips: Sequence[Sequence[str]]) -> Dict[str, dict]:
    by_reason = defaultdict(list)
    for reason, path in skips:
        by_reason[reason].append(path)
    return {reason: dict(count=len(paths), examples=paths[:_EXAMPLES])
            for reason, paths in sorted(by_reason.items())}


def report_lines(manifest: dict) -> List[str]:
    """The build report: one line per dataset, then the totals."""
    lines = [f'{"dataset":<28} {"train img/inst":>15} {"val img/inst":>13} '
             f'{"test img/inst":>14} {"groups":>7} {"skipped":>8} '
             f'{"small":>6}']
    totals = Counter()
    for name, info in manifest['datasets'].items():
        if info['status'] != 'built':
            lines.append(f'{name:<28} {info["status"].upper()}')
            continue
        cells = []
        for split in SPLITS:
            s = info['splits'][split]
            cells.append(f'{s["images"]}/{s["instances"]}')
            totals[f'{split}_images'] += s['images']
            totals[f'{split}_instances'] += s['instances']
        groups = sum(s['groups'] for s in info['splits'].values())
        skipped = sum(v['count'] for v in info['skipped'].values())
        lines.append(f'{name:<28} {cells[0]:>15} {cells[1]:>13} '
                     f'{cells[2]:>14} {groups:>7} {skipped:>8} '
                     f'{info["small_removed"]:>6}')
        for reason, entry in info['skipped'].items():
            lines.append(f'    skipped {entry["count"]}: {reason} '
                         f'(e.g. {entry["examples"][0]})')
        if info['unexpected_values']:
            lines.append('    values outside the spec (pixels, or shapes): ' +
                         ', '.join(f'{k}: {v}' for k, v in
                                   info['unexpected_values'].items()))
        for warning in info['split_notes']['warnings']:
            lines.append(f'    split: {warning}')
    missing = [n for n, i in manifest['datasets'].items()
               if i['status'] != 'built']
    lines.append('total: ' + ', '.join(
        f'{s} {totals[f"{s}_images"]} images / {totals[f"{s}_instances"]} '
        'instances' for s in SPLITS))
    if missing:
        lines.append(f'not built: {len(missing)} dataset(s): '
                     f'{", ".join(missing)} (see above)')
    return lines
