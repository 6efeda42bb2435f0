"""The declarative description of one public classification dataset, and the registry."""
import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

from ...us43d.layouts import Layout

# Bump when a spec change alters what a build writes: an output folder built
# with another version is never mixed with this one.
SPEC_VERSION = '1.0'

_SPECS: Dict[str, 'ClassificationSpec'] = {}


@dataclass(frozen=True)
class ClassificationSpec:
    """One raw dataset and how its images get their class and split.

    The layout (a US-43d layout, see :mod:`ultrasam.datasets.us43d.layouts`)
    finds the images and gives each sample a ``label`` field (translated by
    its ``values``), a group (the split unit: patient, video, image) and the
    official split part, if any.

    Args:
        name (str): Canonical name (``--datasets``; ``RAW/<name>/``).
        slug (str): Output folder name (``OUT/<slug>/``), as in the configs'
            ``data/classification/<slug>/``.
        anatomy (str): Body region, for the listing.
        url (str): Where to download it.
        licence (str): Licence or terms, as far as known.
        download (str): What to put under ``RAW/<name>/``.
        layout (Layout): How files become labelled samples.
        classes (tuple[str]): Class names; the label index is the position.
        groups (str): What a split group is, for the report.
        official_split (str): The official split honoured, or ``'none'``.
        sources (tuple[str]): Where the layout and label definitions were
            read (repository files, papers).
        unverified (tuple[str]): Facts not checked against a primary source.
        notes (tuple[str]): Pitfalls and choices users should know.
    """
    name: str
    slug: str
    anatomy: str
    url: str
    licence: str
    download: str
    layout: Layout
    classes: Tuple[str, ...]
    groups: str
    official_split: str
    sources: Tuple[str, ...] = ()
    unverified: Tuple[str, ...] = ()
    notes: Tuple[str, ...] = ()

    @property
    def search_folders(self) -> Tuple[str, ...]:
        return (self.name, )


def register(spec: ClassificationSpec) -> ClassificationSpec:
    """Add a spec to the registry (its name and slug must be new)."""
    for other in _SPECS.values():
        if spec.name == other.name or spec.slug == other.slug:
            raise ValueError(f'classification spec {spec.name!r} clashes '
                             f'with {other.name!r}')
    _SPECS[spec.name] = spec
    return spec


def all_specs() -> List[ClassificationSpec]:
    """Every registered spec, in registration order."""
    from . import specs  # noqa: F401  (registers them)
    return list(_SPECS.values())


def get_spec(name: str) -> ClassificationSpec:
    """The spec of a name or slug (case-insensitive, ``-`` / ``_`` ignored)."""
    wanted = _fold(name)
    for spec in all_specs():
        if wanted in (_fold(spec.name), _fold(spec.slug)):
            return spec
    raise KeyError(name)


def _fold(name: str) -> str:
    return re.sub(r'[\s_-]+', '', name).lower()
