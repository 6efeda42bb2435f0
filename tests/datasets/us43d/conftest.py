"""One build of all 43 fixture datasets, shared by the US-43d tests."""
import json
from pathlib import Path
from typing import Dict

import pytest

from ultrasam.datasets.us43d import BuildSettings, Builder, all_specs
from us43d_fixtures import Expect, hash_tree, make_raw


class Built:
    """A build of every fixture dataset.

    Args:
        raw (Path): The raw root.
        out (Path): The output folder.
        expected (dict[str, Expect]): What each dataset must give.
        raw_hashes (dict): File hashes of the raw tree before the build.
        manifest (dict): The build's manifest.
    """

    def __init__(self, raw: Path, out: Path, expected: Dict[str, Expect],
                 raw_hashes: Dict[str, str], manifest: dict) -> None:
        self.raw, self.out, self.expected = raw, out, expected
        self.raw_hashes, self.manifest = raw_hashes, manifest

    def coco(self, split: str, slug: str = None) -> dict:
        folder = self.out / 'annotations'
        if slug is not None:
            folder = folder / 'per_dataset' / slug
        return json.loads((folder / f'{split}.json').read_text())


@pytest.fixture(scope='session')
def built(tmp_path_factory) -> Built:
    raw = tmp_path_factory.mktemp('raw')
    expected = make_raw(raw)
    hashes = hash_tree(raw)
    out = tmp_path_factory.mktemp('us43d') / 'us43d'
    settings = BuildSettings(datasets=tuple(s.name for s in all_specs()))
    manifest = Builder(str(raw), str(out), settings, workers=1,
                       log=lambda line: None, progress=False).run()
    return Built(raw, out, expected, hashes, manifest)
