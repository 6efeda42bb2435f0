"""Unlabeled ultrasound images from folders, COCO files, US-43d builds and
phantoms, for self-supervised pretraining."""
import os.path as osp
from typing import Any, List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.dist import all_gather_object, get_rank
from mmengine.logging import print_log

from mmdet.registry import DATASETS
from ..ultrasound_coco import ImagePipelineError
from .holdout import DEFAULT_HOLDOUT
from .manifest import (build_manifest, manifest_settings, read_manifest,
                       scan_sources, stale_reason, write_manifest)
from .sources import UnlabeledDataError


@DATASETS.register_module()
class UnlabeledUltrasoundDataset(BaseDataset):
    """Images without annotations, gathered from several sources, with
    duplicates and held-out datasets removed; each sample is ``img_path``,
    ``frame`` (DICOM frame or None) and ``source`` (dataset name) for
    :class:`LoadUltrasoundImage`.

    The images are listed in a manifest (``ann_file``, JSON). When it is
    absent it is built (rank 0 first in a distributed run) and written:

    1. every source is listed (see :mod:`.sources`: ``folder``, ``coco``,
       ``us43d``, ``phantom``); a DICOM file in a folder gives every
       ``frame_stride``-th frame;
    2. every image's content is hashed (``deduplicate``);
    3. images of a ``holdout`` dataset (matched by source name, spelling and
       known aliases) are left out, and so is any image with the same content
       as a held-out image (from the sources or from ``holdout_folders``);
    4. of identical images only the first is kept (sources in order, paths
       sorted);
    5. unreadable files are left out (named in the manifest, counted in the
       log).

    The manifest records the settings, every image used (path, frame, source,
    SHA-256), every image left out with the reason, and the size of every
    input file. A later run reuses it when settings and input files are
    unchanged; otherwise it stops with an error saying what changed, and
    never overwrites the manifest.

    Args:
        ann_file (str): The manifest (JSON), joined to ``data_root``.
        sources (list[dict]): Where the images come from (see
            :mod:`ultrasam.datasets.unlabeled.sources`), e.g.
            ``[dict(us43d='data/us43d'), dict(folder='data/scans',
            exclude=['*_mask*'])]``.
        holdout (Sequence[str]): Datasets that never enter pretraining.
            Defaults to ``('BUS-BRA', 'MMOTU-2D', 'GIST514-DB')``, the
            downstream test sets of USF-MAE.
        holdout_folders (Sequence[str]): Folders of held-out images (e.g. the
            downstream sets as downloaded); copies of them found among the
            sources under any name are left out. Defaults to ().
        frame_stride (int): Use every n-th frame of multi-frame DICOMs.
            Defaults to 1.
        deduplicate (str | None): ``'file'`` (identical bytes), ``'pixels'``
            (identical decoded images) or None (no hashing). Defaults to
            ``'file'``.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``pipeline``, ``data_root``, ...).
    """

    # The manifest (ann_file) is written by the dataset (see preflight).
    creates_missing_files = True

    def __init__(self,
                 ann_file: str,
                 sources: Sequence[dict],
                 holdout: Sequence[str] = DEFAULT_HOLDOUT,
                 holdout_folders: Sequence[str] = (),
                 frame_stride: int = 1,
                 deduplicate: Optional[str] = 'file',
                 **kwargs) -> None:
        if not ann_file:
            raise UnlabeledDataError(
                'UnlabeledUltrasoundDataset needs ann_file: the manifest '
                'JSON it writes (or reuses)')
        self.settings = manifest_settings(sources, holdout, holdout_folders,
                                          frame_stride, deduplicate)
        self.summary: dict = {}
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Reuse or build the manifest; one sample per image it lists."""
        manifest, error = None, None
        if get_rank() == 0:
            try:
                manifest = self._ensure_manifest()
            except Exception as exc:  # re-raised below, after the barrier
                error = exc
        # The other ranks wait here for rank 0 and learn whether it failed.
        rank0_error = all_gather_object(
            None if error is None else f'{type(error).__name__}: {error}')[0]
        if error is not None:
            raise error
        if rank0_error is not None:
            raise UnlabeledDataError(
                f'rank 0 could not prepare the manifest {self.ann_file}: '
                f'{rank0_error}')
        if manifest is None:
            # Another rank: rank 0's manifest, or its own where rank 0's
            # files are not visible (data_root not shared between nodes).
            manifest = (read_manifest(self.ann_file)
                        if osp.isfile(self.ann_file) else
                        self._ensure_manifest())
        self.summary = manifest['summary']
        return [
            dict(img_path=image['path'], frame=image['frame'],
                 source=image['source']) for image in manifest['images']
        ]

    def _ensure_manifest(self) -> dict:
        """Reuse the manifest if it describes the current settings and files,
        build it when absent; log what it holds."""
        if osp.exists(self.ann_file):
            manifest = read_manifest(self.ann_file)
            _, _, files_sizes = scan_sources(self.settings)
            reason = stale_reason(manifest, self.settings, files_sizes)
            if reason is not None:
                raise UnlabeledDataError(
                    f'manifest {self.ann_file}: {reason}. It records what an '
                    'earlier run used and is never overwritten: delete it to '
                    'rebuild it, or give this run another one with '
                    '--cfg-options train_dataloader.dataset.ann_file=NEW.json')
            status = 'reused'
        else:
            manifest = build_manifest(self.settings)
            write_manifest(manifest, self.ann_file)
            status = 'built'
        summary = manifest['summary']
        per_source = ', '.join(
            f'{name} {counts["used"]}/{counts["found"]}'
            for name, counts in sorted(summary['sources'].items()))
        held_out = ', '.join(f'{name} {count}'
                             for name, count in summary['held_out'].items())
        left_out = ', '.join(
            f'{sum(c[kind] for c in summary["sources"].values())} {kind}'
            for kind in ('held_out', 'copies_of_held_out', 'duplicates',
                         'unreadable'))
        print_log(
            f'unlabeled set {self.ann_file} {status}: {summary["images"]} '
            f'images (used/found per source: {per_source}); left out: '
            f'{left_out}; held-out datasets: {held_out or "none"}',
            logger='current')
        return manifest

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on image ``idx``.

        Raises:
            ImagePipelineError: naming the manifest, the image file, its
                frame and the transform that failed.
        """
        data = self.get_data_info(idx)
        where = f'{self.ann_file}: image {data["img_path"]}' + (
            '' if data['frame'] is None else f' frame {data["frame"]}')
        for transform in self.pipeline.transforms:
            try:
                data = transform(data)
            except Exception as err:
                raise ImagePipelineError(
                    f'{where}: {type(transform).__name__} failed: '
                    f'{type(err).__name__}: {err}') from err
            if data is None:
                return None
        return data
