"""tools/misc/print_config.py: the merged config as the tools run it, saved
on request, and bad uses refused in one line without touching any file."""
import pytest
from mmengine.config import Config

TOOL = 'tools/misc/print_config.py'
PHANTOM = 'configs/ultrasam/ultrasam_vitt_phantom.py'


@pytest.fixture
def print_config(load_script, repo, monkeypatch):
    monkeypatch.chdir(repo)
    return load_script(TOOL).main


def test_prints_and_saves_the_merged_config(print_config, tmp_path, capsys):
    saved = tmp_path / 'merged.py'
    print_config([
        PHANTOM, '--cfg-options', 'train_cfg.max_iters=7', 'max_iters=3',
        '--save-path',
        str(saved)
    ])
    captured = capsys.readouterr()
    expected = Config.fromfile(PHANTOM)
    expected.merge_from_dict({'train_cfg.max_iters': 7, 'max_iters': 3})
    assert captured.out.strip() == expected.pretty_text.strip()
    # The top-level variable changes nothing: named, with the key that does.
    assert "top-level key 'max_iters'" in captured.err
    assert 'train_cfg.max_iters' in captured.err
    reloaded = Config.fromfile(str(saved))
    assert reloaded.train_cfg.max_iters == 7
    assert reloaded.model == expected.model


@pytest.mark.parametrize('extra, message', [
    (['--save-path', '{tmp}/out.txt'], 'must end in one of .py'),
    (['--save-path', '{tmp}/existing.py'], 'exists; pass --force'),
    (['--save-path', '{config}', '--force'], 'is the config itself'),
])
def test_outputs_are_refused_and_left_alone(print_config, tmp_path, capsys,
                                            extra, message):
    config = tmp_path / 'config.py'
    config.write_text("a = 1\n")
    existing = tmp_path / 'existing.py'
    existing.write_text('mine = 1\n')
    argv = [str(config)] + [
        arg.format(tmp=tmp_path, config=config) for arg in extra
    ]
    with pytest.raises(SystemExit):
        print_config(argv)
    assert message in capsys.readouterr().err
    assert config.read_text() == 'a = 1\n'
    assert existing.read_text() == 'mine = 1\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'config.py', 'existing.py'
    ]


@pytest.mark.parametrize('text, message', [
    ("_base_ = './absent.py'\n", 'FileNotFoundError'),
    ('a = (\n', 'SyntaxError'),
])
def test_broken_config_is_one_line(print_config, tmp_path, text, message):
    config = tmp_path / 'broken.py'
    config.write_text(text)
    with pytest.raises(SystemExit) as exit_info:
        print_config([str(config)])
    line = str(exit_info.value.code)
    assert line.startswith('print_config.py: error: cannot read the config '
                           f'{config}: {message}')
    assert '\n' not in line


def test_missing_config_file(print_config, capsys):
    with pytest.raises(SystemExit):
        print_config(['no/such/config.py'])
    assert 'config file not found: no/such/config.py' in \
        capsys.readouterr().err
