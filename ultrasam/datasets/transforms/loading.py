"""Data-pipeline transform decoding ultrasound images and DICOM frames."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmdet.registry import TRANSFORMS
from ...structures.calibration import PixelCalibration
from ..dicom_calibration import read_dicom_calibration
from ..image_io import WINDOWING_MODES, decode_ultrasound_image


@TRANSFORMS.register_module()
class LoadUltrasoundImage(BaseTransform):
    """Load an ultrasound image (PNG/JPEG/TIFF/BMP, 8/16-bit, gray/RGB/RGBA, DICOM).

    The image always comes out as an ``(H, W, 3)`` BGR ``uint8`` array, like
    ``LoadImageFromFile`` with ``color_type='color'``, so every mmdet transform works
    on it. The decoding rules (windowing of 16-bit data, DICOM colour spaces,
    multi-frame files) are described in :mod:`ultrasam.datasets.image_io`.

    Required Keys:

    - img_path
    - frame (optional): 0-based frame of a multi-frame DICOM, from the COCO image
      entry's ``frame`` field; the first frame when absent.
    - height, width (optional): declared size, checked against the decoded image.
    - pixel_spacing (optional): (row_mm, col_mm) declared by the annotation
      file (the only calibration of a PNG / JPEG); a DICOM file's own
      calibration must agree with it.

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Added Keys (``with_calibration=True``):

    - calibration (dict): :meth:`PixelCalibration.to_dict` of the original
      image: spacing (or per-region spacings), frame time, its source and the
      problems that left calibration out (see
      :mod:`ultrasam.datasets.dicom_calibration`).
    - pixel_spacing: (row_mm, col_mm) over the whole original image, or None
      (no calibration, or only per-region calibration).

    Args:
        windowing (str): How samples of more than 8 bits are mapped to 0..255:
            ``'auto'``, ``'minmax'`` or ``'full_range'`` (see
            :data:`ultrasam.datasets.image_io.WINDOWING_MODES`). Defaults to
            ``'auto'``.
        to_float32 (bool): Return a float32 image instead of uint8.
            Defaults to False.
        check_size (bool): Raise when the decoded size differs from the
            ``height`` / ``width`` of the annotation file (masks would be misaligned).
            Defaults to True.
        with_calibration (bool): Add ``calibration`` and ``pixel_spacing``.
            Defaults to True.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 windowing: str = 'auto',
                 to_float32: bool = False,
                 check_size: bool = True,
                 with_calibration: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        if windowing not in WINDOWING_MODES:
            raise ValueError(f'windowing must be one of {WINDOWING_MODES}, '
                             f'got {windowing!r}')
        self.windowing = windowing
        self.to_float32 = to_float32
        self.check_size = check_size
        self.with_calibration = with_calibration
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Decode ``results['img_path']`` (frame ``results['frame']``)."""
        path = results['img_path']
        data = fileio.get(path, backend_args=self.backend_args)
        img = decode_ultrasound_image(data, str(path), results.get('frame'),
                                      self.windowing)
        if self.check_size and 'height' in results and 'width' in results:
            declared = (int(results['height']), int(results['width']))
            if img.shape[:2] != declared:
                raise ValueError(
                    f'{path}: decoded image is {img.shape[0]}x{img.shape[1]} '
                    f'(HxW) but the annotation file declares height='
                    f'{declared[0]}, width={declared[1]}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        if self.with_calibration:
            calibration = self._calibration(data, str(path), results)
            results['calibration'] = calibration.to_dict()
            results['pixel_spacing'] = calibration.spacing
        return results

    @staticmethod
    def _calibration(data: bytes, path: str,
                     results: dict) -> PixelCalibration:
        """The file's calibration, merged with the declared spacing."""
        calibration = read_dicom_calibration(data, path) or PixelCalibration()
        declared = results.get('pixel_spacing')
        if declared is None:
            return calibration
        return calibration.with_user_spacing(
            declared, f'{path}: the annotation field pixel_spacing')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(windowing={self.windowing!r}, '
                f'to_float32={self.to_float32}, '
                f'check_size={self.check_size}, '
                f'with_calibration={self.with_calibration}, '
                f'backend_args={self.backend_args})')
