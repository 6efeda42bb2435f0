"""ClassificationMetric numbers, the results hooks' PNG / CSV, and the table
tool."""
import csv
import logging
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from ultrasam.engine.hooks import (ClassificationResultsHook,
                                   SegmentationResultsHook)
from ultrasam.evaluation.metrics import ClassificationMetric
from ultrasam.evaluation.metrics.classification_metric import binary_auroc


def _score(metric, scores, labels, classes):
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, [dict(pred_score=torch.tensor(s), gt_label=torch.tensor(
        [label])) for s, label in zip(scores, labels)])
    return metric.compute_metrics(metric.results)


def test_binary_scores_and_auroc_with_ties():
    # Class-1 scores: positives 0.9, 0.6, 0.6; negatives 0.6, 0.2, 0.1.
    p1 = [0.9, 0.6, 0.6, 0.6, 0.2, 0.1]
    labels = [1, 1, 1, 0, 0, 0]
    scores = [[1 - p, p] for p in p1]
    result = _score(ClassificationMetric(), scores, labels, ('a', 'b'))
    # argmax: 0.6 -> class 1 (0.6 > 0.4); predictions 1,1,1,1,0,0.
    assert result['confusion_matrix'] == [[2, 1], [0, 3]]
    assert result['accuracy'] == pytest.approx(100 * 5 / 6)
    precision = np.array([2 / 2, 3 / 4])
    recall = np.array([2 / 3, 3 / 3])
    f1 = 2 * precision * recall / (precision + recall)
    assert result['macro_precision'] == pytest.approx(100 * precision.mean())
    assert result['macro_recall'] == pytest.approx(100 * recall.mean())
    assert result['macro_f1'] == pytest.approx(100 * f1.mean())
    assert result['f1_b'] == pytest.approx(100 * f1[1])
    # 3 positives x 3 negatives: 3 + 2.5 + 2.5 of 9 pairs.
    assert result['auroc'] == pytest.approx(8 / 9)
    assert binary_auroc(np.array(p1), np.array(labels) == 1) == \
        pytest.approx(8 / 9)


def test_absent_class_counts_in_the_macro_average(caplog):
    scores = np.eye(3)[[0, 1, 1, 0]] * 0.8 + 0.1
    with caplog.at_level(logging.WARNING):
        result = _score(ClassificationMetric(), scores, [0, 1, 1, 1],
                        ('x', 'y', 'z'))
    assert result['f1_z'] == 0 and 'auroc' not in result
    f1_x = 2 * (1 / 2 * 1) / (1 / 2 + 1)
    f1_y = 2 * (1 * 2 / 3) / (1 + 2 / 3)
    assert result['macro_f1'] == pytest.approx(100 * (f1_x + f1_y) / 3)


def test_head_and_dataset_class_counts_must_agree():
    with pytest.raises(ValueError, match='scores 3 classes but the dataset '
                       'has 2'):
        _score(ClassificationMetric(), [[0.2, 0.3, 0.5]], [0], ('a', 'b'))


def _runner(tmp_path, name, classes, config='cfg.py'):
    dataset = type('Dataset', (), dict(metainfo=dict(classes=classes),
                                       name=name, __len__=lambda self: 6))()
    log_dir = tmp_path / 'work' / '20260101_000000'
    log_dir.mkdir(parents=True, exist_ok=True)
    return SimpleNamespace(
        log_dir=str(log_dir), work_dir=str(tmp_path / 'work'),
        timestamp='20260101_000000', cfg=SimpleNamespace(filename=config),
        logger=logging.getLogger('test'), iter=500,
        test_dataloader=SimpleNamespace(dataset=dataset),
        val_dataloader=SimpleNamespace(dataset=dataset))


def _metrics(macro_f1, auroc=None):
    metrics = {'cls/accuracy': 80.0, 'cls/macro_precision': 70.0,
               'cls/macro_recall': 60.0, 'cls/macro_f1': macro_f1,
               'cls/f1_a': 50.0, 'cls/f1_b': 90.0,
               'cls/confusion_matrix': [[2, 1], [0, 3]]}
    if auroc is not None:
        metrics['cls/auroc'] = auroc
    return metrics


def test_results_hook_writes_png_and_csv_and_the_tool_tabulates(
        tmp_path, load_script, capsys):
    runner = _runner(tmp_path, 'BUS-BRA', ('a', 'b'))
    hook = ClassificationResultsHook(init='UltraSam', tuning='lora')
    hook.after_val_epoch(runner, _metrics(55.0))
    hook.after_test_epoch(runner, _metrics(66.66, auroc=0.75))
    hook.after_test_epoch(runner, _metrics(70.24, auroc=0.8))
    for tag in ('val_iter_500', 'test'):
        png = cv2.imread(f'{runner.log_dir}/confusion_matrix_{tag}.png')
        assert png is not None and png.shape[2] == 3
    with open(tmp_path / 'work' / 'results.csv', newline='') as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2
    assert rows[1]['dataset'] == 'BUS-BRA' and rows[1]['tuning'] == 'lora'
    assert rows[1]['macro_f1'] == '70.24' and rows[1]['auroc'] == '0.8000'
    assert rows[1]['per_class_f1'] == 'a=50.00;b=90.00'

    other = _runner(tmp_path / 'sam', 'MMOTU-2D', ('a', 'b'))
    ClassificationResultsHook(init='SAM', tuning='full').after_test_epoch(
        other, _metrics(39.7))
    collect = load_script('tools/analysis_tools/collect_results.py').main
    collect([str(tmp_path / 'work'), str(tmp_path / 'sam' / 'work'),
             str(tmp_path / 'empty')])
    captured = capsys.readouterr()
    assert 'no results.csv' in captured.err
    assert captured.out.splitlines()[2:] == [
        '| initialisation | tuning | BUS-BRA | MMOTU-2D |',
        '|---|---|---:|---:|',
        '| UltraSam | lora | 70.24 | - |',
        '| SAM | full | - | 39.70 |',
    ]


def test_results_csv_with_another_header_is_left_alone(tmp_path, caplog):
    runner = _runner(tmp_path, 'BUSI', ('a', 'b'))
    csv_file = tmp_path / 'work' / 'results.csv'
    csv_file.write_text('mine,other\n1,2\n')
    with caplog.at_level(logging.WARNING):
        ClassificationResultsHook().after_test_epoch(runner, _metrics(50.0))
    assert csv_file.read_text() == 'mine,other\n1,2\n'
    assert 'left alone' in caplog.text


def test_collect_tool_errors_in_one_line(tmp_path, load_script):
    collect = load_script('tools/analysis_tools/collect_results.py').main
    with pytest.raises(SystemExit, match=r'^collect_results.py: error: no '
                       'classification results in'):
        collect([str(tmp_path)])
    (tmp_path / 'table.md').write_text('mine')
    with pytest.raises(SystemExit, match='exists; pass --force'):
        collect([str(tmp_path), '--out', str(tmp_path / 'table.md')])


def _seg_runner(tmp_path, ann_file, config_model):
    dataset = type('Dataset', (), dict(
        metainfo=dict(classes=('benign', 'malignant')), ann_file=ann_file,
        __len__=lambda self: 4))()
    (tmp_path / 'work').mkdir(parents=True, exist_ok=True)
    return SimpleNamespace(
        log_dir=str(tmp_path / 'work' / 'ts'), work_dir=str(tmp_path / 'work'),
        timestamp='20260101_000000',
        cfg=Config(dict(model=config_model)),
        logger=logging.getLogger('test'), model=torch.nn.Identity(),
        test_dataloader=SimpleNamespace(dataset=dataset))


def test_segmentation_results_and_table(tmp_path, load_script, capsys):
    metrics = {'seg/mDice': 81.234, 'seg/mIoU': 70.0, 'seg/dice_benign': 90.0,
               'seg/dice_malignant': 72.468, 'coco/segm_mAP': 0.512}
    pretrained = dict(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/sam_vit_b_ultrasam.pth')))
    runs = [
        # Names from the config: the checkpoint's file name, the model's
        # class and the folder of the US-43d per-dataset split.
        (tmp_path / 'a', SegmentationResultsHook(),
         'data/us43d/annotations/per_dataset/BUSI/test.json', pretrained),
        (tmp_path / 'b', SegmentationResultsHook(init='UltraSam',
                                                 model_name='Mask2Former'),
         'data/us43d/annotations/per_dataset/TN3K/test.json', {}),
    ]
    for root, hook, ann_file, model in runs:
        hook.after_test_epoch(_seg_runner(root, ann_file, model), metrics)
    with open(tmp_path / 'a' / 'work' / 'results.csv', newline='') as file:
        (row, ) = csv.DictReader(file)
    assert row['dataset'] == 'BUSI' and row['model'] == 'Identity'
    assert row['init'] == 'sam_vit_b_ultrasam' and row['mDice'] == '81.23'
    assert row['per_class_dice'] == 'benign=90.00;malignant=72.47'
    assert row['segm_mAP'] == '0.5120'

    # A test without the Dice metric adds nothing.
    SegmentationResultsHook().after_test_epoch(
        _seg_runner(tmp_path / 'c', 'x/y/test.json', {}), {'coco/mAP': 1.0})
    assert not (tmp_path / 'c' / 'work' / 'results.csv').exists()

    cls_dir = _runner(tmp_path / 'cls', 'BUSI', ('a', 'b'))
    ClassificationResultsHook(init='SAM').after_test_epoch(
        cls_dir, _metrics(40.0))
    collect = load_script('tools/analysis_tools/collect_results.py').main
    collect([str(tmp_path / d / 'work') for d in ('a', 'b', 'cls')] +
            ['--metric', 'mDice'])
    captured = capsys.readouterr()
    assert 'holds classification results, not segmentation ones' in \
        captured.err
    assert captured.out.splitlines() == [
        'mDice (%), latest test per cell', '',
        '| model | initialisation | BUSI | TN3K |',
        '|---|---|---:|---:|',
        '| Identity | sam_vit_b_ultrasam | 81.23 | - |',
        '| Mask2Former | UltraSam | - | 81.23 |',
    ]
