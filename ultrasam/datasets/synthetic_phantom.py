"""COCO dataset of synthetic phantoms, generated into its ``data_root`` when absent."""
import time
from typing import List

from mmengine.dist import all_gather_object, get_rank
from mmengine.logging import print_log

from mmdet.registry import DATASETS
from .synthetic import ensure_phantom_coco
from .ultrasound_coco import UltrasoundCocoDataset

_REQUIRED_KEYS = ('num_train', 'num_test', 'seed')
_OPTIONAL_KEYS = ('image_size', )


@DATASETS.register_module()
class SyntheticPhantomDataset(UltrasoundCocoDataset):
    """The synthetic B-mode phantom set in ``data_root``, written there first if
    absent, read as an :class:`UltrasoundCocoDataset`.

    Before reading, the set of
    ``ultrasam.datasets.synthetic.write_phantom_coco(data_root, **generator)`` is
    generated when ``data_root`` is absent or an empty directory, and reused when
    it holds that very set (same generator version and arguments, recorded in
    the COCO ``info``). Anything else in ``data_root`` is never touched: loading
    fails with an error naming the directory and the command that replaces it.
    So a config with this dataset runs on a fresh clone, and always on the same
    data.

    In a distributed run rank 0 generates while the other ranks wait for it;
    then every other rank checks the set too, and writes its own copy only when
    it does not see rank 0's (``data_root`` not shared between nodes). Writers
    never clash: each writes a hidden sibling directory renamed into place.

    Args:
        generator (dict): ``num_train``, ``num_test``, ``seed`` and optionally
            ``image_size`` (default 256): the arguments of the set. The train and
            test datasets of a config must give the same ones.
        **kwargs: :class:`UltrasoundCocoDataset` arguments; ``data_root`` is
            required, ``ann_file`` is read from it as usual (e.g.
            ``annotations/train.json``).
    """

    # Its annotation files need not exist before the run (see preflight).
    creates_missing_files = True

    def __init__(self, *args, generator: dict, **kwargs) -> None:
        keys = set(generator)
        missing = [key for key in _REQUIRED_KEYS if key not in keys]
        unknown = sorted(keys - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS))
        if missing or unknown:
            raise ValueError(
                f'SyntheticPhantomDataset: generator={dict(generator)} needs the '
                f'keys {_REQUIRED_KEYS} and may have {_OPTIONAL_KEYS}; missing '
                f'{missing}, unknown {unknown}')
        if not kwargs.get('data_root'):
            raise ValueError('SyntheticPhantomDataset needs data_root: the '
                             'directory the phantom set is generated into')
        self.generator = dict(generator)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Generate or check the set in ``data_root``, then read ``ann_file``."""
        self._prepare_phantom_set()
        return super().load_data_list()

    def _prepare_phantom_set(self) -> None:
        start = time.perf_counter()
        status, error = None, None
        if get_rank() == 0:
            try:
                status = self._ensure()
            except Exception as exc:  # re-raised below, after telling the other ranks
                error = exc
        # Every rank waits here for rank 0 and learns whether it failed.
        rank0_error = all_gather_object(
            None if error is None else f'{type(error).__name__}: {error}')[0]
        if error is not None:
            raise error
        if rank0_error is not None:
            raise RuntimeError(f'rank 0 could not prepare the phantom set in '
                               f'{self.data_root}: {rank0_error}')
        if status is None:
            status = self._ensure()
        print_log(
            f'{self.data_root}: phantom set {status} ({self.generator}) in '
            f'{time.perf_counter() - start:.1f} s',
            logger='current')

    def _ensure(self) -> str:
        """Generate or reuse the set; a refusal names the config fields."""
        try:
            return ensure_phantom_coco(self.data_root, **self.generator)
        except FileExistsError as exc:
            raise FileExistsError(
                f'{exc} (SyntheticPhantomDataset data_root={self.data_root!r}, '
                f'generator={self.generator})') from exc
