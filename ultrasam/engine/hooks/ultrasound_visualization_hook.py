"""Visualization hook drawing predictions on the original ultrasound image."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist

from mmdet.engine.hooks import DetVisualizationHook
from mmdet.registry import HOOKS
from mmdet.structures import DetDataSample
from ...datasets import WINDOWING_MODES, read_ultrasound_image


@HOOKS.register_module()
class UltrasoundVisualizationHook(DetVisualizationHook):
    """``DetVisualizationHook`` that reads images like the UltraSam pipeline.

    mmdet's hook decodes ``img_path`` with ``mmcv.imfrombytes``, which cannot
    read DICOM and maps 16-bit data differently from
    :class:`ultrasam.datasets.transforms.LoadUltrasoundImage`. This hook loads the
    image with :func:`ultrasam.datasets.read_ultrasound_image`, using the DICOM
    ``frame`` of the data sample's metainfo (packed by ``PackPromptInputs``), so
    the drawn image is the one the model saw, at its original resolution.
    Everything else (``draw``, ``interval``, ``show``, ``wait_time``,
    ``test_out_dir`` under ``work_dir/<timestamp>``) behaves as in the parent; the
    visualizer gives DICOM outputs a ``.png`` suffix and a frame index.

    Args:
        draw (bool): Whether to draw prediction results. Defaults to False.
        interval (int): Validation iterations between drawings. Defaults to 50.
        score_thr (float): Hide predictions scoring below this.
            Defaults to 0.3.
        show (bool): Display the drawings instead of storing them.
            Defaults to False.
        wait_time (float): Display time in seconds. Defaults to 0.
        test_out_dir (str, optional): Directory, relative to
            ``work_dir/<timestamp>``, where test drawings are written.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.
        windowing (str): How samples of more than 8 bits are mapped to 0..255,
            one of :data:`ultrasam.datasets.WINDOWING_MODES`; use the value of
            the pipeline's ``LoadUltrasoundImage``. Defaults to ``'auto'``.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 score_thr: float = 0.3,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 windowing: str = 'auto') -> None:
        if windowing not in WINDOWING_MODES:
            raise ValueError(f'windowing must be one of {WINDOWING_MODES}, '
                             f'got {windowing!r}')
        super().__init__(
            draw=draw,
            interval=interval,
            score_thr=score_thr,
            show=show,
            wait_time=wait_time,
            test_out_dir=test_out_dir,
            backend_args=backend_args)
        self.windowing = windowing

    def _load_image(self, data_sample: DetDataSample) -> np.ndarray:
        """The RGB ``uint8`` image (DICOM frame) of ``data_sample``."""
        bgr = read_ultrasound_image(
            data_sample.img_path,
            frame=data_sample.get('frame'),
            windowing=self.windowing,
            backend_args=self.backend_args)
        return np.ascontiguousarray(bgr[..., ::-1])

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[DetDataSample]) -> None:
        """Draw the first sample every ``self.interval`` validation iterations.

        Args:
            runner (:obj:`Runner`): The runner of the validation process.
            batch_idx (int): The index of the current batch in the val loop.
            data_batch (dict): Data from the dataloader.
            outputs (Sequence[:obj:`DetDataSample`]): A batch of data samples
                with annotations and predictions.
        """
        if self.draw is False:
            return
        total_curr_iter = runner.iter + batch_idx
        # Unlike the parent, decode only when drawing: DICOM decoding is slow.
        if total_curr_iter % self.interval != 0:
            return
        img_path = outputs[0].img_path
        self._visualizer.add_datasample(
            osp.basename(img_path) if self.show else 'val_img',
            self._load_image(outputs[0]),
            data_sample=outputs[0],
            show=self.show,
            wait_time=self.wait_time,
            pred_score_thr=self.score_thr,
            step=total_curr_iter)

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[DetDataSample]) -> None:
        """Draw every test sample.

        Args:
            runner (:obj:`Runner`): The runner of the testing process.
            batch_idx (int): The index of the current batch in the test loop.
            data_batch (dict): Data from the dataloader.
            outputs (Sequence[:obj:`DetDataSample`]): A batch of data samples
                with annotations and predictions.
        """
        if self.draw is False:
            return
        if self.test_out_dir is not None:
            # As in the parent; idempotent because runner.work_dir is absolute.
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp,
                                         self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)
        for data_sample in outputs:
            self._test_index += 1
            img_path = data_sample.img_path
            out_file = None
            if self.test_out_dir is not None:
                out_file = osp.join(self.test_out_dir, osp.basename(img_path))
            self._visualizer.add_datasample(
                osp.basename(img_path) if self.show else 'test_img',
                self._load_image(data_sample),
                data_sample=data_sample,
                show=self.show,
                wait_time=self.wait_time,
                pred_score_thr=self.score_thr,
                out_file=out_file,
                step=self._test_index)
