"""Phantom images labelled by their largest lesion's echogenicity (CPU proof)."""
import json
import os.path as osp
from typing import List

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..synthetic import (PHANTOM_CLASSES, ensure_phantom_coco,
                         phantom_image_labels)
from ..synthetic.config import check_int
from .pipeline_errors import NamedPipelineFailures

_GENERATOR_KEYS = ('num_train', 'num_test', 'seed')
_OPTIONAL_GENERATOR_KEYS = ('image_size', )
SPLITS = ('train', 'val', 'test')


@DATASETS.register_module()
class PhantomClsDataset(NamedPipelineFailures, BaseDataset):
    """Synthetic B-mode phantoms as a 3-class classification set.

    The phantom set of ``ultrasam.datasets.synthetic.write_phantom_coco(
    data_root, **generator)`` is generated into ``data_root`` when absent and
    reused when identical (never overwritten: another set there is an error
    naming the command that replaces it), exactly as for
    ``SyntheticPhantomDataset``; every process checks it, and concurrent
    writers are safe. The class of an image is the echogenicity of its
    largest lesion (:func:`ultrasam.datasets.synthetic.phantom_image_labels`):
    ``hypoechoic``, ``anechoic`` or ``hyperechoic``.

    Args:
        data_root (str): Directory of the phantom set.
        generator (dict): ``num_train``, ``num_test``, ``seed`` and optionally
            ``image_size``; all datasets of a config must give the same.
        split (str): ``'train'`` (the generated training images except the
            last ``val_images``), ``'val'`` (those last ``val_images``) or
            ``'test'`` (the generated test images).
        val_images (int): Training images held out for validation.
            Defaults to 0 (then ``split='val'`` is an error).
        name (str): The dataset's name in results tables. Defaults to
            ``'phantom'``.
        **kwargs: Further ``mmpretrain.datasets.BaseDataset`` arguments.
    """

    # Its files are written on first use (see ultrasam/utils/preflight.py).
    creates_missing_files = True

    def __init__(self,
                 data_root: str,
                 generator: dict,
                 split: str,
                 val_images: int = 0,
                 name: str = 'phantom',
                 **kwargs) -> None:
        keys = set(generator)
        missing = [key for key in _GENERATOR_KEYS if key not in keys]
        unknown = sorted(keys - set(_GENERATOR_KEYS) -
                         set(_OPTIONAL_GENERATOR_KEYS))
        if missing or unknown:
            raise ValueError(
                f'PhantomClsDataset: generator={dict(generator)} needs the '
                f'keys {_GENERATOR_KEYS} and may have '
                f'{_OPTIONAL_GENERATOR_KEYS}; missing {missing}, unknown '
                f'{unknown}')
        for key in _GENERATOR_KEYS:
            check_int(f'PhantomClsDataset: generator.{key}', generator[key], 0)
        if split not in SPLITS:
            raise ValueError(f'PhantomClsDataset: split must be one of '
                             f'{SPLITS}, got {split!r}')
        if isinstance(val_images, bool) or not isinstance(val_images, int) \
                or not 0 <= val_images < generator['num_train']:
            raise ValueError(
                f'PhantomClsDataset: val_images must be an integer in '
                f'0..{generator["num_train"] - 1} (num_train - 1), got '
                f'{val_images!r}')
        if split == 'val' and val_images == 0:
            raise ValueError("PhantomClsDataset: split='val' needs "
                             'val_images > 0')
        self.generator, self.split = dict(generator), split
        self.val_images = val_images
        self.name = name
        split_file = 'test' if split == 'test' else 'train'
        kwargs.setdefault('metainfo', dict(classes=PHANTOM_CLASSES))
        super().__init__(
            ann_file=f'annotations/{split_file}.json',
            data_root=data_root,
            data_prefix='images',
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Generate or reuse the set, then label the images of the split."""
        status = ensure_phantom_coco(self.data_root, **self.generator)
        print_log(f'{self.data_root}: phantom set {status} '
                  f'({self.generator})', logger='current')
        with open(self.ann_file, encoding='utf-8') as file:
            labelled = phantom_image_labels(json.load(file), self.ann_file)
        if self.split == 'train' and self.val_images:
            labelled = labelled[:-self.val_images]
        elif self.split == 'val':
            labelled = labelled[-self.val_images:]
        if not labelled:
            raise ValueError(
                f'PhantomClsDataset: the {self.split} split of {self.generator} '
                'has no image')
        return [
            dict(img_path=osp.join(self.img_prefix, entry['file_name']),
                 gt_label=entry['label']) for entry in labelled
        ]
