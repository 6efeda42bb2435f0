"""Reliability catalogue: tools/train.py and tools/test.py.

Missing inputs are one line each naming the file and the command that makes it,
before any model is built; test.py loads checkpoints strictly and refuses
non-finite weights before the runner exists; ``--cfg-options`` that change nothing
draw a warning naming the keys that are read. Inputs never change. The tools run
in-process (``main(argv)``) except one subprocess run that checks what a user sees.
"""
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
import torch
from mmengine.config import Config

from checkpoint_fixtures import (PHANTOM_CONFIG, REPO, US43D_CONFIG,
                                 UNREADABLE_CHECKPOINTS, tiny_sam,
                                 write_tiny_coco, write_tiny_test_config,
                                 write_unreadable)
from mmdet.registry import DATASETS
from ultrasam.datasets import UltrasoundCocoDataset
from ultrasam.engine.hooks import RNGStateHook
from ultrasam.utils.preflight import (build_run_config, missing_input_files,
                                      unread_override_warnings)

US43D_MISSING = [
    'train.py: error: annotation file data/us43d/annotations/train.json '
    '(train_dataloader.dataset.ann_file) not found; make it with: python '
    'tools/dataset_converters/build_us43d.py --raw-root RAW --out data/us43d',
    'train.py: error: annotation file data/us43d/annotations/val.json '
    '(val_dataloader.dataset.ann_file) not found; make it with: python '
    'tools/dataset_converters/build_us43d.py --raw-root RAW --out data/us43d',
    'train.py: error: checkpoint checkpoints/sam_vit_b_01ec64_ultrasam.pth '
    '(load_from) not found; make it with: python '
    'tools/model_converters/sam_to_ultrasam.py sam_vit_b_01ec64.pth '
    'checkpoints/sam_vit_b_01ec64_ultrasam.pth',
]


@pytest.fixture(scope='module')
def train_tool(load_script):
    return load_script('tools/train.py')


@pytest.fixture(scope='module')
def test_tool(load_script):
    return load_script('tools/test.py')


@pytest.fixture(scope='module')
def coco(tmp_path_factory):
    root = tmp_path_factory.mktemp('coco')
    write_tiny_coco(root)
    return root


@pytest.fixture(scope='module')
def test_config(coco, tmp_path_factory):
    return write_tiny_test_config(tmp_path_factory.mktemp('config'), coco)


@pytest.fixture(scope='module')
def weights(init_checkpoint):
    return torch.load(init_checkpoint, weights_only=True)['state_dict']


def _exit_message(main, argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    return str(exit_.value.code)


def _test_argv(config: Path, checkpoint: Path, work_dir: Path, *extra):
    return [config, checkpoint, '--work-dir', work_dir, *extra]


# -- missing inputs: one line each, before any model is built --------------


def test_fresh_clone_train_names_every_missing_input(train_tool, tmp_path,
                                                     monkeypatch, snapshot):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    message = _exit_message(train_tool.main,
                            [US43D_CONFIG, '--work-dir', tmp_path / 'wd'])
    assert message.splitlines() == US43D_MISSING
    assert snapshot(tmp_path) == before, 'the runner was built'


def test_train_with_data_but_no_checkpoint(train_tool, tmp_path,
                                           monkeypatch, snapshot):
    monkeypatch.chdir(tmp_path)
    annotations = tmp_path / 'data' / 'us43d' / 'annotations'
    annotations.mkdir(parents=True)
    for split in ('train', 'val'):
        (annotations / f'{split}.json').write_text('{}')
    before = snapshot(tmp_path)
    message = _exit_message(train_tool.main,
                            [US43D_CONFIG, '--work-dir', tmp_path / 'wd'])
    assert message.splitlines() == US43D_MISSING[2:]
    assert snapshot(tmp_path) == before


def test_train_names_a_missing_pretrained_init_checkpoint(
        train_tool, coco, tmp_path):
    message = _exit_message(train_tool.main, [
        PHANTOM_CONFIG, '--work-dir', tmp_path / 'wd', '--cfg-options',
        f'train_dataloader.dataset.data_root={coco}/',
        'model.backbone.init_cfg.type=Pretrained',
        f'model.backbone.init_cfg.checkpoint={tmp_path}/mae_vit.pth'
    ])
    assert message == (f'train.py: error: checkpoint {tmp_path}/mae_vit.pth '
                       '(model.backbone.init_cfg.checkpoint) not found')


def test_train_names_a_missing_resume_checkpoint(train_tool, coco,
                                                 tmp_path):
    message = _exit_message(train_tool.main, [
        PHANTOM_CONFIG, '--work-dir', tmp_path / 'wd', '--resume',
        tmp_path / 'iter_8.pth', '--cfg-options',
        f'train_dataloader.dataset.data_root={coco}/'
    ])
    assert message == (f'train.py: error: checkpoint {tmp_path}/iter_8.pth '
                       '(load_from, to resume) not found')


def test_test_names_missing_annotation_and_checkpoint(test_tool, test_config,
                                                      tmp_path, snapshot):
    before = snapshot(tmp_path)
    message = _exit_message(
        test_tool.main,
        _test_argv(test_config, tmp_path / 'model_ultrasam.pth',
                   tmp_path / 'wd', '--cfg-options',
                   f'test_dataloader.dataset.data_root={tmp_path}/phantom/'))
    assert message.splitlines() == [
        f'test.py: error: annotation file {tmp_path}/phantom/annotations/'
        'test.json (test_dataloader.dataset.ann_file) not found; make it '
        'with: python tools/dataset_converters/make_phantom.py --out '
        f'{tmp_path}/phantom --num-train 300 --num-test 50 --seed 0',
        f'test.py: error: checkpoint {tmp_path}/model_ultrasam.pth '
        '(CHECKPOINT argument) not found; make it with: python '
        'tools/model_converters/sam_to_ultrasam.py model.pth '
        f'{tmp_path}/model_ultrasam.pth',
    ]
    assert snapshot(tmp_path) == before


class _GeneratesItsData(UltrasoundCocoDataset):
    """A dataset type that writes its annotation file when it is absent."""
    creates_missing_files = True


def _concat_test_config(*datasets: dict) -> Config:
    """A config under mmdet's scope testing the concatenated ``datasets``."""
    return Config(
        dict(
            default_scope='mmdet',
            test_dataloader=dict(dataset=dict(
                type='ConcatDataset', datasets=list(datasets)))))


def test_preflight_skips_datasets_that_create_their_files(tmp_path):
    DATASETS.register_module(
        name='ReliabilityGeneratedDataset', module=_GeneratesItsData,
        force=True)
    missing = str(tmp_path / 'absent.json')
    cfg = _concat_test_config(
        dict(type='ReliabilityGeneratedDataset', ann_file=missing),
        dict(type='UltrasoundCocoDataset', ann_file=missing),
        dict(type='NotARegisteredDataset', ann_file=missing))
    assert missing_input_files(cfg, 'test') == [
        f'annotation file {missing} '
        '(test_dataloader.dataset.datasets.1.ann_file) not found; make the '
        'dataset, or point the config at yours with --cfg-options '
        'test_dataloader.dataset.data_root=DIR'
    ]


def test_preflight_finds_classification_label_lists(tmp_path, monkeypatch):
    """mmpretrain datasets (default scope mmpretrain, or ``_scope_`` /
    a scope prefix under mmdet) are checked too, with the command that
    makes a shipped config's label lists."""
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(
        str(REPO / 'configs/downstream/classification/busbra/'
            'ultrasam_full_busbra.py'))
    assert missing_input_files(cfg, 'train')[0] == (
        'annotation file data/classification/busbra/annotations/train.txt '
        '(train_dataloader.dataset.ann_file) not found; make it with: python '
        'tools/dataset_converters/build_classification.py --raw-root RAW '
        '--out data/classification --datasets BUS-BRA')
    missing = str(tmp_path / 'absent.txt')
    cfg = _concat_test_config(
        dict(type='UltrasoundClsDataset', _scope_='mmpretrain',
             ann_file=missing),
        dict(type='mmpretrain.UltrasoundClsDataset', ann_file=missing))
    assert [line.split(' (')[1].split(')')[0]
            for line in missing_input_files(cfg, 'test')] == [
                'test_dataloader.dataset.datasets.0.ann_file',
                'test_dataloader.dataset.datasets.1.ann_file'
            ]


def test_malformed_label_list_is_one_line(train_tool, tmp_path, snapshot):
    labels = tmp_path / 'data' / 'train.txt'
    labels.parent.mkdir()
    labels.write_text('a.png 0\nb.png benign\n')
    config = tmp_path / 'cls_bad_labels.py'
    base = (REPO / 'configs' / 'downstream' / 'classification' /
            'vitsam-t_scratch_full_phantom.py')
    config.write_text(
        f'_base_ = {str(base)!r}\n'
        'train_dataloader = dict(num_workers=0, persistent_workers=False,\n'
        "    dataset=dict(_delete_=True, type='UltrasoundClsDataset',\n"
        f'    ann_file={str(labels)!r}, pipeline=[],\n'
        "    metainfo=dict(classes=('a', 'b', 'c'))))\n")
    before = snapshot(labels.parent)
    message = _exit_message(
        train_tool.main, [config, '--work-dir', tmp_path / 'work'])
    assert message == (f"train.py: error: {labels}, line 2: label 'benign' "
                       'is not an integer')
    assert snapshot(labels.parent) == before


# -- test.py loads strictly and refuses non-finite weights -----------------


def _sam_format(weights):
    return tiny_sam().state_dict()


@pytest.mark.parametrize('case,transform,expected', [
    ('unconverted segment-anything', _sam_format,
     'it is an unconverted segment-anything checkpoint: convert it with '
     'python tools/model_converters/sam_to_ultrasam.py'),
    ('missing keys',
     lambda w: {k: v for k, v in w.items() if 'mask_decoder' not in k},
     'keys missing from the checkpoint: mask_decoder ('),
    ('wrong shapes',
     lambda w: {**w, 'backbone.pos_embed': torch.zeros(1, 64, 64, 96)},
     'architecture mismatch: backbone.pos_embed is (1, 16, 16, 96) in the '
     "config's model but (1, 64, 64, 96) in the checkpoint"),
    ('NaN weights',
     lambda w: {**w, 'mask_decoder.iou_token.weight':
                w['mask_decoder.iou_token.weight'] * float('nan')},
     'has non-finite weights: mask_decoder.iou_token.weight holds 64'),
])
def test_test_refuses_a_checkpoint_that_does_not_fit(case, transform,
                                                      expected, test_tool,
                                                      weights, test_config,
                                                      tmp_path, snapshot):
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=transform(weights)), checkpoint)
    before = snapshot(tmp_path)
    message = _exit_message(
        test_tool.main, _test_argv(test_config, checkpoint, tmp_path / 'wd'))
    assert message.startswith(f'test.py: error: checkpoint {checkpoint} ')
    assert expected in message and len(message.splitlines()) == 1
    assert snapshot(tmp_path) == before, 'the runner was built'


@pytest.mark.parametrize('case', ['truncated', 'malicious torch.save',
                                  'pickled list', 'empty file'])
def test_test_refuses_an_unreadable_checkpoint(case, test_tool, test_config,
                                               tmp_path, snapshot):
    checkpoint = tmp_path / 'model.pth'
    write_unreadable(case, checkpoint)
    before = snapshot(tmp_path)
    message = _exit_message(
        test_tool.main, _test_argv(test_config, checkpoint, tmp_path / 'wd'))
    assert message.startswith(
        f'test.py: error: cannot read checkpoint {checkpoint}: ')
    assert UNREADABLE_CHECKPOINTS[case][1] in message
    assert 'weights_only' not in message
    assert snapshot(tmp_path) == before, 'a payload ran or the runner was built'


def test_partial_load_without_workers_and_without_resume_warning(
        test_tool, weights, test_config, tmp_path, capsys, snapshot):
    """One in-process run (MMEngine's visualizer is a process-wide instance)
    for three cases: --allow-partial-load lists what it did not load;
    num_workers=0 with the config's persistent_workers=True used to be a
    torch error; every test run used to warn about RNG state after resume."""
    checkpoint = tmp_path / 'encoder_only.pth'
    torch.save({k: v for k, v in weights.items()
                if not k.startswith('mask_decoder.')}, checkpoint)
    before = snapshot(checkpoint)
    work_dir = tmp_path / 'wd'
    test_tool.main([
        str(a) for a in _test_argv(
            test_config, checkpoint, work_dir, '--allow-partial-load',
            '--cfg-options', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=True')
    ])
    warning = capsys.readouterr().out.splitlines()[0]
    assert warning.startswith(
        f'test.py: warning: --allow-partial-load: {checkpoint}: 120 keys '
        'missing from the checkpoint: mask_decoder (120, e.g. mask_decoder.')
    [run] = [p for p in work_dir.iterdir() if p.is_dir()]
    assert 'prompt_seg/dice' in json.loads(
        (run / f'{run.name}.json').read_text())
    assert 'RNG state' not in (run / f'{run.name}.log').read_text()
    assert snapshot(checkpoint) == before


# -- --cfg-options that change nothing -------------------------------------


@pytest.mark.parametrize('option,meant', [
    ('max_iters=2', 'e.g. train_cfg.max_iters'),
    ('data_root=elsewhere/', 'e.g. train_dataloader.dataset.data_root, '
     'val_dataloader.dataset.data_root, test_dataloader.dataset.data_root'),
    ('image_size=512', 'e.g. model.backbone.img_size'),
    ('max_iter=2', 'e.g. train_dataloader.dataset.pipeline.6.max_jitter, '
     'train_cfg.max_iters'),
    ('train_pipeline=[]', 'e.g. train_dataloader.dataset.pipeline'),
    ('vis_backends=[]', 'e.g. visualizer.vis_backends'),
])
def test_override_that_nothing_reads_is_named(option, meant):
    key, value = option.split('=')
    [warning] = unread_override_warnings(
        Config.fromfile(str(US43D_CONFIG)), {key: value})
    assert warning.startswith(f'--cfg-options {key}={value!r}: no component '
                              f"reads the top-level key '{key}'")
    assert warning.endswith(f'set the keys that are read, {meant}')


@pytest.mark.parametrize('option', [
    'train_cfg.max_iters', 'randomness.seed', 'work_dir', 'load_from',
    'model.backbone.img_size', 'default_scope'
])
def test_override_of_a_read_key_draws_no_warning(option):
    cfg = Config.fromfile(str(US43D_CONFIG))
    assert unread_override_warnings(cfg, {option: 1}) == []


def test_train_warns_before_its_errors(train_tool, tmp_path, capsys):
    message = _exit_message(train_tool.main, [
        US43D_CONFIG, '--work-dir', tmp_path / 'wd', '--cfg-options',
        'max_iters=2', f'train_dataloader.dataset.data_root={tmp_path}/'
    ])
    assert capsys.readouterr().err.startswith(
        "train.py: warning: --cfg-options max_iters=2: no component reads "
        "the top-level key 'max_iters'")
    assert f'annotation file {tmp_path}/annotations/train.json' in message


def test_no_persistent_workers_without_workers(tmp_path):
    cfg = build_run_config(
        str(US43D_CONFIG), {
            'train_dataloader.num_workers': 0,
            'test_dataloader.num_workers': 0
        }, 'none', str(tmp_path), 'train.py')
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.test_dataloader.persistent_workers is False
    default = build_run_config(str(US43D_CONFIG), None, 'none', None,
                               'train.py')
    assert default.train_dataloader.persistent_workers is True


def test_missing_config_file(train_tool, tmp_path):
    assert _exit_message(train_tool.main, [tmp_path / 'nope.py']) == (
        f'train.py: error: config file {tmp_path}/nope.py not found')


# -- RNG state warning only on a real resume -------------------------------


@pytest.mark.parametrize('iteration,rng_saved,warns', [
    (0, False, False),  # load_from: weights only (fine-tuning, test.py)
    (0, True, False),
    (8, False, True),  # resumed from a checkpoint saved without the hook
    (8, True, False),
])
def test_rng_state_warning_only_after_a_real_resume(iteration, rng_saved,
                                                    warns):
    runner = SimpleNamespace(
        iter=iteration, seed=0, logger=mock.Mock(),
        train_dataloader=SimpleNamespace(num_workers=1))
    checkpoint: dict = {}
    hook = RNGStateHook()
    if rng_saved:
        hook.before_save_checkpoint(runner, checkpoint)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    assert runner.logger.warning.called == warns
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    hook.before_train_iter(runner, batch_idx=0)
    restored = iteration > 0 and rng_saved
    assert torch.equal(torch.rand(1), expected) != restored


# -- what a user sees ------------------------------------------------------


def test_fresh_clone_train_prints_three_lines_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, REPO / 'tools' / 'train.py', US43D_CONFIG],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.splitlines() == US43D_MISSING
    assert list(tmp_path.iterdir()) == []


# -- data errors: the dataset's own message as one line, no traceback -------


def test_train_on_a_set_without_annotations_is_one_line(
        train_tool, tmp_path, snapshot):
    root = tmp_path / 'data'
    write_tiny_coco(root)
    train_json = root / 'annotations' / 'train.json'
    coco = json.loads(train_json.read_text())
    train_json.write_text(json.dumps(dict(coco, annotations=[])))
    config = tmp_path / 'ultrasam_vitt_empty.py'
    config.write_text(
        f'_base_ = {str(PHANTOM_CONFIG)!r}\n'
        'train_dataloader = dict(num_workers=0, persistent_workers=False,\n'
        "    dataset=dict(_delete_=True, type='UltrasoundCocoDataset',\n"
        f"    data_root={str(root) + '/'!r},\n"
        "    ann_file='annotations/train.json', data_prefix=dict(img='images/'),"
        '\n    pipeline={{_base_.train_pipeline}}))\n')
    before = snapshot(root)
    message = _exit_message(
        train_tool.main, [config, '--work-dir', tmp_path / 'work'])
    assert message.startswith('train.py: error: ')
    assert str(train_json) in message and 'nothing to train on' in message
    assert snapshot(root) == before
