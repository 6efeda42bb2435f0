"""Seeded, group-aware train / val / test splits that honour official splits.

Groups (patients, videos, volumes, or single images) are ordered by a hash of
``(seed, namespace, group)``: the same seed gives the same split on any
machine, whatever the order files were found in, and datasets that share a
namespace (the same patients released twice) split their groups alike.
"""
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

SPLITS = ('train', 'val', 'test')


@dataclass
class SplitReport:
    """What the split did for one dataset.

    Args:
        official (dict[str, int]): Groups per official part used.
        refined_groups (int): Groups that the official split itself puts in
            two parts; each part of them became a group of its own.
        merged_groups (int): Groups merged because they share an identical
            annotated image.
        identical_across_official (int): Identical annotated images the
            official split puts in two parts (left as they are).
        warnings (list[str]): E.g. too few groups for a test part.
    """
    official: Dict[str, int] = field(default_factory=dict)
    refined_groups: int = 0
    merged_groups: int = 0
    identical_across_official: int = 0
    warnings: List[str] = field(default_factory=list)


def _rank(seed: int, namespace: str, group: str) -> str:
    return hashlib.sha256(f'{seed}\0{namespace}\0{group}'.encode()).hexdigest()


def _portion_sizes(count: int, ratios: Sequence[float]) -> Tuple[int, int]:
    """Numbers of (val, test) groups out of ``count`` for ``ratios``.

    A non-zero ratio gets at least one group (test from 2 groups on, val from
    3), and at least one group stays for training.
    """
    _, val_ratio, test_ratio = ratios
    total = sum(ratios)
    test = round(count * test_ratio / total)
    val = round(count * val_ratio / total)
    if test_ratio > 0 and test == 0 and count >= 2:
        test = 1
    if val_ratio > 0 and val == 0 and count >= 3:
        val = 1
    while val + test >= count and val + test > 0:
        if val > 0:
            val -= 1
        else:
            test -= 1
    return val, test


class _Union:

    def __init__(self) -> None:
        self.parent: Dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def assign_splits(records: List[dict], namespace: str, seed: int,
                  ratios: Sequence[float],
                  use_official: Sequence[str]) -> SplitReport:
    """Set ``record['split']`` (and refine ``record['group']``) in place.

    Args:
        records (list[dict]): Image records with ``group``, ``part``
            (official part or None), ``pixel_hash`` and ``annotations``.
        namespace (str): Group namespace of the dataset.
        seed (int): Split seed.
        ratios (tuple[float]): train, val, test ratios.
        use_official (tuple[str]): Official parts honoured (e.g.
            ``('train', 'val', 'test')``, or ``('test',)`` for the original
            recipe); other official parts are ignored.
    """
    report = SplitReport()
    parts_of = defaultdict(set)
    for record in records:
        part = record.get('part')
        record['_part'] = part if part in use_official else None
        parts_of[record['group']].add(record['_part'])
    for group, parts in parts_of.items():
        if len(parts) > 1:
            report.refined_groups += 1
    for record in records:
        if len(parts_of[record['group']]) > 1:
            record['group'] = f'{record["group"]}@{record["_part"] or "rest"}'

    # Identical annotated images must not end up in two splits.
    union, by_hash = _Union(), {}
    part_of_group = {r['group']: r['_part'] for r in records}
    for record in records:
        union.find(record['group'])
        if not record['annotations']:
            continue
        other = by_hash.setdefault(record['pixel_hash'], record['group'])
        if other == record['group']:
            continue
        if part_of_group[other] != part_of_group[record['group']]:
            report.identical_across_official += 1
        elif union.join(other, record['group']):
            report.merged_groups += 1

    cluster_part: Dict[str, Optional[str]] = {}
    for group, part in part_of_group.items():
        cluster_part[union.find(group)] = part
    by_part = defaultdict(list)
    for cluster, part in cluster_part.items():
        by_part[part].append(cluster)
    report.official = {p: len(g) for p, g in by_part.items() if p}

    split_of: Dict[str, str] = {}
    for part in ('train', 'val', 'test'):
        for cluster in by_part.get(part, []):
            split_of[cluster] = part
    pool = sorted(by_part.get(None, []) + by_part.get('train', []),
                  key=lambda c: _rank(seed, namespace, c))
    carve = list(ratios)
    if by_part.get('test'):
        carve[2] = 0.
    if by_part.get('val'):
        carve[1] = 0.
    val_count, test_count = _portion_sizes(len(pool), carve)
    for index, cluster in enumerate(pool):
        if index < test_count:
            split_of[cluster] = 'test'
        elif index < test_count + val_count:
            split_of[cluster] = 'val'
        else:
            split_of[cluster] = 'train'
    if ratios[2] > 0 and 'test' not in split_of.values():
        report.warnings.append(
            f'{len(pool)} group(s): too few for a test part')
    for record in records:
        record['split'] = split_of[union.find(record['group'])]
        del record['_part']
    return report
