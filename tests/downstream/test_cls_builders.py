"""build_classification.py on fixture copies of the nine datasets' raw layouts:
labels, official splits, groups kept together, skips reported, reruns safe."""
import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Dict

import pytest

from cls_raw_fixtures import FACTORIES, Expect
from ultrasam.datasets.classification.builders import (BuildError,
                                                       all_specs,
                                                       build_dataset,
                                                       get_spec)

TOOL = 'tools/dataset_converters/build_classification.py'


@pytest.fixture(scope='module')
def built(tmp_path_factory: pytest.TempPathFactory):
    """Every fixture dataset written and built once."""
    raw = tmp_path_factory.mktemp('raw')
    out = tmp_path_factory.mktemp('out') / 'classification'
    expected = {name: factory(raw) for name, factory in FACTORIES.items()}
    manifests = {spec.name: build_dataset(spec, str(raw), str(out),
                                          log=lambda line: None)
                 for spec in all_specs()}
    return raw, out, expected, manifests


def _rows(out: Path, slug: str):
    with open(out / slug / 'annotations' / 'index.csv', newline='') as file:
        return list(csv.DictReader(file))


def _identity(row: Dict[str, str]) -> str:
    frame = f'#{row["frame"]}' if row['frame'] != '' else ''
    return row['original_file'] + frame


def _find(rows, key: str):
    found = [row for row in rows if _identity(row).endswith('/' + key)]
    assert len(found) == 1, (key, [_identity(row) for row in rows])
    return found[0]


def test_every_spec_has_a_fixture():
    assert sorted(FACTORIES) == sorted(spec.name for spec in all_specs())


@pytest.mark.parametrize('name', sorted(FACTORIES))
def test_labels_splits_and_groups(built, name):
    raw, out, expected, manifests = built
    expect: Expect = expected[name]
    spec = get_spec(name)
    rows = _rows(out, spec.slug)
    assert len(rows) == len(expect.labels)
    for key, label in expect.labels.items():
        assert _find(rows, key)['class'] == label, key
    for key in expect.test:
        assert _find(rows, key)['split'] == 'test', key
    for key in expect.val:
        assert _find(rows, key)['split'] == 'val', key
    for keys in expect.together:
        assert len({_find(rows, key)['split'] for key in keys}) == 1, keys
    # Patient-level splits: no group in two splits.
    splits_of = defaultdict(set)
    for row in rows:
        splits_of[row['group']].add(row['split'])
    assert all(len(splits) == 1 for splits in splits_of.values())
    # The label files list exactly the rows of their split.
    for split in ('train', 'val', 'test'):
        lines = (out / spec.slug / 'annotations' /
                 f'{split}.txt').read_text().splitlines()
        assert sorted(lines) == sorted(
            f'{row["file"]} {row["label"]}' for row in rows
            if row['split'] == split)
        for line in lines:
            assert (out / spec.slug / 'images' / line.rsplit(' ', 1)[0]
                    ).is_file()
    manifest = manifests[name]
    assert manifest['status'] == 'built'
    assert manifest['classes'] == list(spec.classes)
    for reason, count in expect.skips.items():
        matching = [entry['count'] for skipped, entry in
                    manifest['skipped'].items() if reason in skipped]
        assert matching == [count], (reason, manifest['skipped'])


def test_rerun_reuses_and_refuses_other_settings(built):
    raw, out, _, _ = built
    spec = get_spec('busbra')
    before = (out / 'busbra' / 'annotations' / 'train.txt').read_text()
    again = build_dataset(spec, str(raw), str(out), log=lambda line: None)
    assert again['status'] == 'reused'
    with pytest.raises(BuildError, match='different settings'):
        build_dataset(spec, str(raw), str(out), seed=1,
                      log=lambda line: None)
    assert (out / 'busbra' / 'annotations' / 'train.txt').read_text() == \
        before


def test_foreign_output_folder_is_never_touched(built, tmp_path):
    raw = built[0]
    (tmp_path / 'busbra').mkdir()
    (tmp_path / 'busbra' / 'mine.txt').write_text('keep')
    with pytest.raises(BuildError, match='not a classification build'):
        build_dataset(get_spec('BUS-BRA'), str(raw), str(tmp_path),
                      log=lambda line: None)
    assert (tmp_path / 'busbra' / 'mine.txt').read_text() == 'keep'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['busbra']


def test_tool_reports_missing_datasets_in_one_line(load_script, tmp_path,
                                                   capsys):
    main = load_script(TOOL).main
    with pytest.raises(SystemExit) as exit_info:
        main(['--raw-root', str(tmp_path), '--out', str(tmp_path / 'out'),
              '--datasets', 'BUS-BRA', 'TN5000'])
    assert str(exit_info.value) == (
        'build_classification.py: error: not built: BUS-BRA, TN5000 (see '
        'above)')
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith(
        'build_classification.py: BUS-BRA: not found: expected ')
    with pytest.raises(SystemExit, match="unknown dataset 'nope'"):
        main(['--raw-root', str(tmp_path), '--datasets', 'nope', '--list'])


def test_tool_lists_unverified_facts(load_script, capsys, tmp_path):
    load_script(TOOL).main(['--raw-root', str(tmp_path), '--list',
                            '--datasets', 'TN5000'])
    listing = capsys.readouterr().out
    assert 'TN5000 -> tn5000/' in listing and 'NOT FOUND' in listing
    assert 'unverified: the label encoding "0" = benign' in listing


def test_manifest_is_json_with_the_report(built):
    out = built[1]
    manifest = json.loads((out / 'pocus' / 'manifest.json').read_text())
    assert manifest['dataset'] == 'POCUS'
    assert sum(s['images'] for s in manifest['splits'].values()) == 11
