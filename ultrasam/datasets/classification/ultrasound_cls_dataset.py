"""Image classification from ``relative/path label`` list files, checked on load."""
import os.path as osp
from typing import List, Sequence

from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS

from .pipeline_errors import NamedPipelineFailures

BUILD_COMMAND = ('python tools/dataset_converters/build_classification.py '
                 '--raw-root RAW --out data/classification --datasets NAME')
_EXAMPLES = 3


class LabelFileError(ValueError):
    """A label list file is missing, malformed or names missing images."""


@DATASETS.register_module()
class UltrasoundClsDataset(NamedPipelineFailures, CustomDataset):
    """Single-label classification set listed in a text file.

    Each non-empty line of ``ann_file`` is ``<path> <label>``: the image path
    relative to ``data_prefix`` (it may contain spaces; the label follows the
    last one) and the class index. ``tools/dataset_converters/
    build_classification.py`` writes these files. Unlike mmpretrain's
    ``CustomDataset`` every line is checked when the set is loaded: an integer
    label in ``[0, len(classes))`` and an existing image file; otherwise a
    :class:`LabelFileError` names the file, the line and the value. Images
    are decoded by the pipeline (``mmdet.LoadUltrasoundImage`` reads 8/16-bit
    PNG, JPEG and DICOM); a transform failing on an image names it.

    Args:
        ann_file (str): The list file, relative to ``data_root``.
        metainfo (dict): Must give ``classes``, in label index order.
        data_root (str): Dataset root. Defaults to ''.
        data_prefix (str | dict): Folder the image paths are relative to
            (under ``data_root``). Defaults to ''.
        name (str): The dataset's name in results tables (e.g.
            ``'BUS-BRA'``). Defaults to ''.
        **kwargs: Further ``mmpretrain.datasets.BaseDataset`` arguments.
    """

    def __init__(self,
                 ann_file: str,
                 metainfo: dict,
                 data_root: str = '',
                 data_prefix: str = '',
                 name: str = '',
                 **kwargs) -> None:
        if not ann_file:
            raise LabelFileError('UltrasoundClsDataset needs ann_file, a '
                                 '"<path> <label>" list file')
        if not (isinstance(metainfo, dict) and metainfo.get('classes')):
            raise LabelFileError(
                f'UltrasoundClsDataset ({ann_file}): metainfo must give the '
                f'class names, e.g. metainfo=dict(classes=(...)); got '
                f'{metainfo!r}')
        self.name = name
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Parse and check every line of ``ann_file``.

        Raises:
            LabelFileError: naming the file, line and value at fault.
        """
        if not osp.isfile(self.ann_file):
            raise LabelFileError(
                f'label file {self.ann_file} not found; make it with: '
                f'{BUILD_COMMAND}, or point the config at yours')
        num_classes = len(self.metainfo['classes'])
        data_list, missing = [], []
        with open(self.ann_file, encoding='utf-8') as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                path, label = self._parse(line.rstrip('\n'), number,
                                          num_classes)
                img_path = osp.join(self.img_prefix, path)
                if not osp.isfile(img_path):
                    missing.append(f'{img_path} (line {number})')
                data_list.append(dict(img_path=img_path, gt_label=label))
        if missing:
            raise LabelFileError(
                f'{self.ann_file}: {len(missing)} listed image(s) not found: '
                f'{_examples(missing)}')
        if not data_list:
            raise LabelFileError(f'{self.ann_file} lists no image')
        return data_list

    def _parse(self, line: str, number: int, num_classes: int):
        fields = line.rsplit(maxsplit=1)
        where = f'{self.ann_file}, line {number}'
        if len(fields) != 2:
            raise LabelFileError(
                f'{where}: expected "<path> <label>", got {line!r}')
        path, label = fields
        try:
            index = int(label)
        except ValueError:
            raise LabelFileError(
                f'{where}: label {label!r} is not an integer') from None
        if not 0 <= index < num_classes:
            raise LabelFileError(
                f'{where}: label {index} is outside 0..{num_classes - 1} '
                f'(classes {tuple(self.metainfo["classes"])})')
        return path.strip(), index


def _examples(items: Sequence[str]) -> str:
    more = (f' and {len(items) - _EXAMPLES} more'
            if len(items) > _EXAMPLES else '')
    return ', '.join(items[:_EXAMPLES]) + more
