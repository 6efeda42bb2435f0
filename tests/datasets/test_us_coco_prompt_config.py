"""configs/_base_/datasets/us_coco_prompt.py builds and runs on a tiny dataset."""
import os.path as osp

import numpy as np
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

import ultrasam
from us_coco_helpers import square

BASE = osp.join(
    osp.dirname(osp.dirname(ultrasam.__file__)), 'configs', '_base_',
    'datasets', 'us_coco_prompt.py')


def test_base_dataset_config(coco_dir, gray_image, tmp_path):
    coco = dict(
        images=[
            dict(id=1, file_name='a.png', height=40, width=60),
            dict(id=2, file_name='a.png', height=40, width=60)
        ],
        categories=[dict(id=1, name='object')],
        annotations=[
            dict(
                id=1, image_id=1, category_id=1, segmentation=square(5, 5, 20))
        ])
    for split in ('train', 'val', 'test'):
        coco_dir(coco, {'a.png': gray_image}, name=f'{split}.json')
    child = tmp_path / 'child.py'
    child.write_text(f"""
_base_ = {BASE!r}
custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)
default_scope = 'mmdet'
""")
    cfg = Config.fromfile(str(child))
    assert cfg.image_size == 1024
    assert cfg.val_dataloader.dataset.ann_file.endswith('val.json')
    assert cfg.test_dataloader.dataset.ann_file.endswith('test.json')
    lengths = {}
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(num_workers=0, persistent_workers=False, batch_size=1)
        loader.dataset.update(
            data_root=str(coco_dir.root), ann_file=f'{split}.json')
        loader.dataset.pipeline[3]['scale'] = (32, 32)
        dataloader = Runner.build_dataloader(loader, seed=0)
        lengths[split] = len(dataloader.dataset)
        batch = next(iter(dataloader))
        sample = batch['data_samples'][0]
        assert batch['inputs'][0].shape == (3, 21, 32)
        assert len(sample.gt_instances) == 1
        if split != 'train':
            assert sample.gt_instances.ori_masks.masks.shape == (1, 40, 60)
            assert sample.gt_instances.prompt_types.tolist() == [0]
    # The image without annotations is dropped in training only.
    assert lengths == dict(train=1, val=2, test=2)

    box_pipeline = cfg.test_box_pipeline
    box_pipeline[3]['scale'] = (32, 32)
    cfg.test_dataloader.dataset.pipeline = box_pipeline
    dataset = Runner.build_dataloader(cfg.test_dataloader).dataset
    gt = dataset[0]['data_samples'].gt_instances
    assert gt.prompt_types.tolist() == [1]
    np.testing.assert_array_equal(gt.point_labels, [[-1]])

    evaluator = Evaluator(cfg.test_evaluator)
    assert [type(m).__name__ for m in evaluator.metrics
            ] == ['DiceIoUMetric', 'PromptCocoMetric']
