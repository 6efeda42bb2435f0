"""Phantom lesions as a multi-class instance-segmentation set (CPU proof)."""
from collections import Counter
from typing import List, Optional

from mmdet.registry import DATASETS
from .synthetic import PHANTOM_CLASSES
from .synthetic_phantom import SyntheticPhantomDataset
from .ultrasound_coco import CocoFormatError

SPLITS = ('train', 'val', 'test')


@DATASETS.register_module()
class PhantomSegDataset(SyntheticPhantomDataset):
    """Synthetic phantoms with every lesion labelled by its echogenicity.

    The set is generated into ``data_root`` on first use, reused when
    identical and never overwritten, exactly as by
    :class:`SyntheticPhantomDataset`. The class of an instance is the
    ``lesion_type`` the generator writes into each annotation (``hypoechoic``,
    ``anechoic``, ``hyperechoic``: :data:`ultrasam.datasets.synthetic.
    PHANTOM_CLASSES`, also the classes of :class:`PhantomClsDataset`), not the
    file's single category ``object``; so the generator's files stay as they
    are.

    Args:
        split (str): ``'train'`` (the generated training images except the
            last ``val_images``), ``'val'`` (those last ``val_images``) or
            ``'test'`` (the generated test images).
        val_images (int): Training images held out for validation.
            Defaults to 0 (then ``split='val'`` is an error).
        **kwargs: :class:`SyntheticPhantomDataset` arguments (``data_root``,
            ``generator``, ``pipeline``, ...); ``ann_file`` follows from
            ``split`` and the classes are fixed.
    """

    METAINFO = dict(
        classes=PHANTOM_CLASSES,
        palette=[(220, 20, 60), (0, 130, 230), (250, 170, 30)])
    # The dataset's name in results tables (SegmentationResultsHook).
    name = 'phantom'

    def __init__(self,
                 *args,
                 split: str,
                 val_images: int = 0,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'PhantomSegDataset: split must be one of '
                             f'{SPLITS}, got {split!r}')
        if isinstance(val_images, bool) or not isinstance(
                val_images, int) or val_images < 0:
            raise ValueError('PhantomSegDataset: val_images must be a '
                             f'non-negative integer, got {val_images!r}')
        if split == 'val' and val_images == 0:
            raise ValueError("PhantomSegDataset: split='val' needs "
                             'val_images > 0')
        num_train = (kwargs.get('generator') or {}).get('num_train')
        if isinstance(num_train, int) and val_images and \
                val_images >= num_train:
            raise ValueError(
                f'PhantomSegDataset: val_images={val_images} leaves no '
                f'training image of the generator\'s num_train={num_train}')
        if 'ann_file' in kwargs:
            raise ValueError('PhantomSegDataset: ann_file follows from split '
                             f'(got ann_file={kwargs["ann_file"]!r})')
        if metainfo and 'classes' in metainfo and tuple(
                metainfo['classes']) != PHANTOM_CLASSES:
            raise ValueError(
                f'PhantomSegDataset: the classes are the lesion types '
                f'{PHANTOM_CLASSES}, got metainfo classes '
                f'{tuple(metainfo["classes"])}')
        self.split, self.val_images = split, val_images
        metainfo = {
            k: v
            for k, v in (metainfo or {}).items() if k != 'classes'
        }
        # The file's one category holds every lesion; _parse_annotation gives
        # each its class.
        super().__init__(
            *args,
            ann_file=f'annotations/{"test" if split == "test" else "train"}'
            '.json',
            class_agnostic=True,
            metainfo=metainfo or None,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Generate or reuse the set, then keep the images of the split."""
        data_list = super().load_data_list()
        if self.split == 'train' and self.val_images:
            data_list = data_list[:-self.val_images]
        elif self.split == 'val':
            data_list = data_list[-self.val_images:]
        if not data_list:
            raise ValueError(f'PhantomSegDataset: the {self.split} split of '
                             f'{self.generator} has no image')
        return data_list

    def _parse_annotation(self, ann: dict, height: int, width: int,
                          skipped: Counter,
                          recomputed_bboxes: list) -> Optional[dict]:
        """The instance of one lesion, labelled by its ``lesion_type``."""
        instance = super()._parse_annotation(ann, height, width, skipped,
                                             recomputed_bboxes)
        if instance is None:
            return None
        lesion_type = ann.get('lesion_type')
        if lesion_type not in PHANTOM_CLASSES:
            raise CocoFormatError(
                f'{self.ann_file}: annotation {ann["id"]!r} has lesion_type '
                f'{lesion_type!r}, expected one of {PHANTOM_CLASSES}')
        instance['bbox_label'] = PHANTOM_CLASSES.index(lesion_type)
        return instance
