"""Classification datasets (label lists, phantom labels), the SAM-style
preprocessor and the Med-SA adapter encoder."""
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.models import ViTSAM
from mmpretrain.structures import DataSample

from ultrasam.datasets import (ImagePipelineError, LabelFileError,
                               PhantomClsDataset, UltrasoundClsDataset)
from ultrasam.datasets.synthetic import (PHANTOM_CLASSES,
                                         phantom_image_labels,
                                         write_phantom_coco)
from ultrasam.models.classification import (LongestSideClsDataPreprocessor,
                                            ViTSAMAdapter)

PIPELINE = [dict(type='mmdet.LoadUltrasoundImage'), dict(type='PackInputs')]
TINY_ARCH = dict(embed_dims=96, num_layers=2, num_heads=4,
                 feedforward_channels=384, global_attn_indexes=[1])


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _list_dataset(tmp_path: Path, lines: str, **kwargs):
    (tmp_path / 'images').mkdir(exist_ok=True)
    cv2.imwrite(str(tmp_path / 'images' / 'a b.png'),
                np.full((20, 30), 7, np.uint8))
    (tmp_path / 'train.txt').write_text(lines)
    return UltrasoundClsDataset(
        ann_file='train.txt', data_root=str(tmp_path), data_prefix='images',
        metainfo=dict(classes=('x', 'y')), name='mine', pipeline=PIPELINE,
        **kwargs)


def test_label_list_with_spaces_in_paths_loads(tmp_path):
    dataset = _list_dataset(tmp_path, 'a b.png 1\n\n')
    assert len(dataset) == 1 and dataset.name == 'mine'
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 20, 30)
    assert int(sample['data_samples'].gt_label) == 1


@pytest.mark.parametrize('lines,message', [
    ('a b.png 2\n', r'train.txt, line 1: label 2 is outside 0..1'),
    ('a b.png one\n', r"line 1: label 'one' is not an integer"),
    ('\nnolabel\n', r'line 2: expected "<path> <label>"'),
    ('a b.png 0\nmissing.png 1\n', r'1 listed image\(s\) not found: .*'
     r'missing.png \(line 2\)'),
    ('\n', 'lists no image'),
])
def test_label_list_errors_name_file_line_and_value(tmp_path, lines,
                                                    message):
    with pytest.raises(LabelFileError, match=message):
        _list_dataset(tmp_path, lines)


def test_missing_label_file_says_how_to_make_it(tmp_path):
    with pytest.raises(LabelFileError, match='not found; make it with: '
                       'python tools/dataset_converters/build_classification'):
        UltrasoundClsDataset(ann_file='none.txt', data_root=str(tmp_path),
                             metainfo=dict(classes=('x', )))
    with pytest.raises(LabelFileError, match='metainfo must give the class'):
        UltrasoundClsDataset(ann_file='none.txt', metainfo=None)


def test_unreadable_image_names_list_and_file(tmp_path):
    dataset = _list_dataset(tmp_path, 'a b.png 0\n')
    (tmp_path / 'images' / 'a b.png').write_bytes(b'')
    with pytest.raises(ImagePipelineError,
                       match=r'train.txt: sample 0 \(.*a b.png\): '
                       'LoadUltrasoundImage failed'):
        dataset[0]


def test_phantom_labels_are_the_largest_lesions_type():
    coco = dict(images=[dict(id=1, file_name='train/000001.png'),
                        dict(id=2, file_name='train/000002.png')],
                annotations=[
                    dict(id=1, image_id=1, area=50., lesion_type='anechoic'),
                    dict(id=2, image_id=1, area=80.,
                         lesion_type='hyperechoic'),
                    dict(id=3, image_id=2, area=10., lesion_type='hypoechoic')
                ])
    assert phantom_image_labels(coco) == [
        dict(file_name='train/000001.png', label=2),
        dict(file_name='train/000002.png', label=0)]
    coco['images'].append(dict(id=3, file_name='train/000003.png'))
    with pytest.raises(ValueError, match='image 3 .* has no lesion'):
        phantom_image_labels(coco, 'x.json')


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob('*')) if p.is_file()}


def test_phantom_dataset_generates_reuses_and_splits(tmp_path):
    generator = dict(num_train=6, num_test=3, seed=2, image_size=64)
    splits = {split: PhantomClsDataset(
        data_root=str(tmp_path / 'set'), generator=generator, split=split,
        val_images=2, pipeline=PIPELINE) for split in ('train', 'val', 'test')}
    assert [len(splits[s]) for s in ('train', 'val', 'test')] == [4, 2, 3]
    assert splits['test'].metainfo['classes'] == PHANTOM_CLASSES
    assert splits['val'].get_data_info(0)['img_path'].endswith(
        'images/train/000005.png')
    # Labelling writes nothing: the set is byte for byte the generator's.
    write_phantom_coco(tmp_path / 'reference', **generator)
    assert _tree(tmp_path / 'set') == _tree(tmp_path / 'reference')
    coco = json.loads((tmp_path / 'set/annotations/test.json').read_text())
    assert [int(splits['test'][i]['data_samples'].gt_label)
            for i in range(3)] == [
                entry['label'] for entry in phantom_image_labels(coco)]
    with pytest.raises(FileExistsError, match='different phantom set'):
        PhantomClsDataset(data_root=str(tmp_path / 'set'),
                          generator=dict(generator, seed=3), split='test')


@pytest.mark.parametrize('kwargs,message', [
    (dict(split='dev'), 'split must be one of'),
    (dict(split='val'), "split='val' needs val_images > 0"),
    (dict(split='train', val_images=6), r'val_images must be an integer in '
     r'0..5'),
    (dict(split='train', generator=dict(num_train=6, seed=0)),
     r"missing \['num_test'\]"),
])
def test_phantom_dataset_arguments(tmp_path, kwargs, message):
    kwargs = dict(dict(generator=dict(num_train=6, num_test=3, seed=0)),
                  **kwargs)
    with pytest.raises(ValueError, match=message):
        PhantomClsDataset(data_root=str(tmp_path), **kwargs)
    assert not any(tmp_path.iterdir())


def test_preprocessor_resizes_longest_side_and_pads_square():
    preprocessor = LongestSideClsDataPreprocessor(
        size=64, mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False)
    images = [torch.full((3, 20, 40), 9, dtype=torch.uint8),
              torch.full((3, 128, 32), 5, dtype=torch.uint8)]
    samples = [DataSample().set_gt_label(0), DataSample().set_gt_label(1)]
    out = preprocessor(dict(inputs=images, data_samples=samples))['inputs']
    assert out.shape == (2, 3, 64, 64)
    torch.testing.assert_close(out[0, :, :32, :], torch.full((3, 32, 64), 9.))
    assert not out[0, :, 32:].any()
    torch.testing.assert_close(out[1, :, :, :16], torch.full((3, 64, 16), 5.))
    assert not out[1, :, :, 16:].any()
    with pytest.raises(ValueError, match='do not set pad_size_divisor'):
        LongestSideClsDataPreprocessor(size=64, pad_size_divisor=32)


def test_adapters_start_as_identity_and_train_alone():
    torch.manual_seed(0)
    plain = ViTSAM(arch=TINY_ARCH, img_size=64, window_size=4,
                   out_channels=0, out_type='avg_featmap')
    adapted = ViTSAMAdapter(arch=TINY_ARCH, img_size=64, window_size=4,
                            out_channels=0, out_type='avg_featmap',
                            adapter_dims=24, trainable_layers=1)
    missing = adapted.load_state_dict(plain.state_dict(), strict=False)
    assert not missing.unexpected_keys
    assert all('_adapter.' in key for key in missing.missing_keys)
    images = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(adapted(images)[0], plain(images)[0])
    trained = {name for name, p in adapted.named_parameters()
               if p.requires_grad}
    assert 'layers.0.space_adapter.fc1.weight' in trained
    assert 'layers.0.mlp_adapter.fc2.bias' in trained
    assert 'layers.1.attn.qkv.weight' in trained
    assert not trained & {'layers.0.attn.qkv.weight', 'pos_embed',
                          'patch_embed.projection.weight'}
    with pytest.raises(ValueError, match='trainable_layers must be in 0..2'):
        ViTSAMAdapter(arch=TINY_ARCH, img_size=64, trainable_layers=3)
