"""The declarative description of one US-43d source dataset, and the registry."""
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .layouts import Layout

# Bump when a spec change alters what a build writes: an output folder built
# with another version is never mixed with this one.
SPEC_VERSION = '1.0'

_SPECS: Dict[str, 'DatasetSpec'] = {}


@dataclass(frozen=True)
class DatasetSpec:
    """One source dataset: where it comes from and how it becomes COCO.

    Args:
        name (str): Canonical name (the ``source`` of its images).
        anatomy (str): Body region, for the listing.
        url (str): Where to download it.
        licence (str): Licence or terms, as far as known.
        download (str): What to put under ``RAW/<name>/`` (archives as
            distributed or their extracted content).
        layout (Layout): How files pair and decode.
        categories (tuple[str]): Structure names, in category id order.
        folders (tuple[str]): Further folders under RAW searched when
            ``RAW/<name>/`` is missing (datasets shipped in another one's
            archive, e.g. TG3K in the TN3K bundle).
        orientation (str, optional): ``'rot180'`` or ``'flipud'``, applied to
            image and masks.
        mask_ops (tuple[str]): Operations on each structure mask
            (``'fill_holes'``).
        mask_within_image (bool): Zero mask pixels where the image is 0
            (labels outside the field of view).
        group_namespace (str, optional): Datasets sharing a namespace hold
            the same patients; their groups are split alike.
        original_test (bool): Its official test part is kept by
            ``--recipe original`` (BUS-BRA, GIST514-DB, MMOTU-2D).
        unverified (tuple[str]): Legends, labels and facts not checked
            against a primary source.
        changes (tuple[str]): What this spec does differently from the
            original UltraSam converter, and why.
    """
    name: str
    anatomy: str
    url: str
    licence: str
    download: str
    layout: Layout
    categories: Tuple[str, ...]
    folders: Tuple[str, ...] = ()
    orientation: Optional[str] = None
    mask_ops: Tuple[str, ...] = ()
    mask_within_image: bool = False
    group_namespace: Optional[str] = None
    original_test: bool = False
    unverified: Tuple[str, ...] = ()
    changes: Tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        """The name as a folder / file name (spaces and symbols as ``_``)."""
        return re.sub(r'[^A-Za-z0-9.-]+', '_', self.name).strip('_')

    @property
    def namespace(self) -> str:
        return self.group_namespace or self.name

    @property
    def search_folders(self) -> Tuple[str, ...]:
        return (self.name, ) + self.folders


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a spec to the registry (its name must be new)."""
    if spec.name in _SPECS:
        raise ValueError(f'dataset spec {spec.name!r} registered twice')
    _SPECS[spec.name] = spec
    return spec


def all_specs() -> List[DatasetSpec]:
    """Every registered spec, sorted by name (case-insensitive)."""
    from . import specs  # noqa: F401  (registers them)
    return sorted(_SPECS.values(), key=lambda s: s.name.casefold())


def get_spec(name: str) -> DatasetSpec:
    """The spec of a canonical name (case-insensitive, ``_`` for spaces)."""
    wanted = _fold(name)
    for spec in all_specs():
        if _fold(spec.name) == wanted or _fold(spec.slug) == wanted:
            return spec
    raise KeyError(name)


def _fold(name: str) -> str:
    return re.sub(r'[\s_]+', ' ', name).strip().lower()
