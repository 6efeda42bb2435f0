"""The public-dataset segmentation configs read what the US-43d builder
writes: the per-dataset COCO files with the dataset's own categories."""
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdet.registry import DATASETS
from ultrasam.utils.preflight import missing_input_files

SEG = Path(__file__).parents[2] / 'configs' / 'downstream' / 'segmentation'


def test_busbra_configs_read_the_builders_per_dataset_files(
        tmp_path, load_script):
    fixtures = load_script('tests/datasets/us43d/us43d_fixtures.py')
    raw, out = tmp_path / 'raw', tmp_path / 'us43d'
    fixtures.bus_bra(raw)
    load_script('tools/dataset_converters/build_us43d.py').main([
        '--raw-root', str(raw), '--out', str(out), '--datasets', 'BUS-BRA'
    ])
    labels = {}
    for config in ('mask2former_ultrasam_busbra.py',
                   'mask-rcnn_imagenet-resnet50_busbra.py'):
        cfg = Config.fromfile(str(SEG / 'busbra' / config))
        for loader in ('train_dataloader', 'test_dataloader'):
            dataset_cfg = cfg[loader].dataset
            dataset_cfg.data_root = f'{out}/'
            with DefaultScope.overwrite_default_scope('mmdet'):
                dataset = DATASETS.build(dataset_cfg)
            assert dataset.metainfo['classes'] == (
                'breast_nodule_benign', 'breast_nodule_malignant')
            # A colour per class for the overlays.
            assert len(dataset.metainfo['palette']) == 2
            labels[loader] = sorted(
                int(label) for i in range(len(dataset))
                for label in dataset[i]['data_samples'].gt_instances.labels)
            sample = dataset[0]['data_samples']
            if loader == 'test_dataloader':
                # Ground truth at the original size, the input at 1024.
                assert sample.gt_instances.masks.masks.shape[1:] == \
                    sample.ori_shape
                assert max(sample.img_shape) == 1024
    # Fold 1 (the test split) holds patient 0001's two benign images (three
    # lesions); the malignant ones train.
    assert labels['test_dataloader'] == [0, 0, 0]
    assert 1 in labels['train_dataloader']


def test_missing_files_name_the_build_command():
    cfg = Config.fromfile(str(SEG / 'gist514db' /
                              'mask-rcnn_medsam_gist514db.py'))
    problems = missing_input_files(cfg, 'train')
    assert problems[0].startswith(
        'annotation file data/us43d/annotations/per_dataset/GIST514-DB/'
        'train.json (train_dataloader.dataset.ann_file) not found; make it '
        'with: python tools/dataset_converters/build_us43d.py --raw-root RAW '
        '--out data/us43d --datasets GIST514-DB')
    assert any('medsam_vit_b_ultrasam.pth' in p and 'sam_to_ultrasam.py' in p
               for p in problems)
