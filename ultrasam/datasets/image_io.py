"""Decoding of ultrasound images into the BGR ``uint8`` arrays mmcv / mmdet expect.

Ultrasound data comes as 8-bit or 16-bit grayscale, RGB(A) screenshots and DICOM
files (single frame, cine loops, palette or YBR colour). Every one of them is turned
into an ``(H, W, 3)`` ``uint8`` BGR array, as ``mmcv.imfrombytes`` returns, so the
mmdet transforms and the SAM normalisation work unchanged. The rules:

- Grayscale is replicated to three channels.
- RGBA is composited onto black (``rgb * alpha / 255``): transparent pixels carry no
  echo signal. EXIF orientation is ignored (ultrasound frames carry none and
  annotations are made on the stored pixel grid).
- More than 8 bits per sample is mapped to 8 bits by ``windowing`` (see
  :data:`WINDOWING_MODES`). 8-bit data is never rescaled.
- DICOM: the photometric interpretation is honoured (``YBR_*`` converted to RGB by
  pydicom, ``PALETTE COLOR`` expanded through its lookup table, ``MONOCHROME1``
  inverted), the modality LUT (rescale slope / intercept) is applied before a VOI
  window, and a multi-frame file yields the frame given by ``frame`` (0-based; the
  first frame when ``None``; only that frame is decoded).
"""
import io
from typing import Optional, Sequence

import cv2
import numpy as np
import pydicom
from mmengine import fileio
from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

#: How samples with more than 8 bits are brought to 0..255:
#: ``'auto'``: a DICOM grayscale window (WindowCenter / WindowWidth) when the file has
#: one, otherwise ``'minmax'``; ``'minmax'``: the image's own minimum and maximum map to
#: 0 and 255 (robust to 8-bit data stored in 16-bit containers); ``'full_range'``: the
#: full range of the stored bit depth maps to 0..255 (keeps absolute intensities
#: comparable across images).
WINDOWING_MODES = ('auto', 'minmax', 'full_range')

_DICOM_MAGIC = b'DICM'
_DICOM_SUFFIXES = ('.dcm', '.dicom')


def is_dicom(data: bytes, filename: str = '') -> bool:
    """Whether ``data`` is a DICOM file (``DICM`` magic or a DICOM suffix)."""
    return (data[128:132] == _DICOM_MAGIC
            or filename.lower().endswith(_DICOM_SUFFIXES))


def decode_ultrasound_image(data: bytes,
                            filename: str = '<bytes>',
                            frame: Optional[int] = None,
                            windowing: str = 'auto') -> np.ndarray:
    """Decode an encoded image or DICOM file into a BGR ``uint8`` array.

    Args:
        data (bytes): Content of the file.
        filename (str): Name used in error messages and to recognise DICOM files
            without a preamble. Defaults to ``'<bytes>'``.
        frame (int, optional): 0-based frame of a multi-frame DICOM. ``None`` means
            the first frame. Must be ``None`` or 0 for other files. Defaults to None.
        windowing (str): One of :data:`WINDOWING_MODES`. Defaults to ``'auto'``.

    Returns:
        np.ndarray: ``(H, W, 3)`` ``uint8`` image in BGR order.
    """
    if windowing not in WINDOWING_MODES:
        raise ValueError(f'windowing must be one of {WINDOWING_MODES}, '
                         f'got {windowing!r}')
    if frame is not None and (not isinstance(frame,
                                             (int, np.integer)) or frame < 0):
        raise ValueError(f'{filename}: frame must be a non-negative integer, '
                         f'got {frame!r}')
    if not data:
        raise ValueError(f'{filename}: empty file (0 bytes), not an image')
    if is_dicom(data, filename):
        return _decode_dicom(data, filename, frame, windowing)
    if frame:
        raise ValueError(f'{filename}: frame={frame} was requested but only '
                         'DICOM files have several frames')
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'{filename}: not a decodable image '
                         '(neither DICOM nor a format OpenCV reads)')
    bits = 8 * img.dtype.itemsize if img.dtype.kind in 'ui' else None
    if img.ndim == 3 and img.shape[2] == 4:
        alpha = img[..., 3:].astype(np.float64) / _dtype_max(img.dtype)
        img = np.round(img[..., :3] * alpha).astype(img.dtype)
    elif img.ndim == 3 and img.shape[2] != 3:
        raise ValueError(f'{filename}: unsupported number of channels '
                         f'{img.shape[2]} (expected 1, 3 or 4)')
    # cv2 already returns colour images as BGR.
    return _gray_to_bgr(to_uint8(img, windowing, bits=bits, name=filename))


def read_ultrasound_image(path: str,
                          frame: Optional[int] = None,
                          windowing: str = 'auto',
                          backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image or DICOM file into a BGR ``uint8`` array.

    Args:
        path (str): File path or URI understood by ``mmengine.fileio``.
        frame (int, optional): 0-based frame of a multi-frame DICOM; ``None`` is
            the first frame. Defaults to None.
        windowing (str): One of :data:`WINDOWING_MODES`. Defaults to ``'auto'``.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.

    Returns:
        np.ndarray: ``(H, W, 3)`` ``uint8`` image in BGR order.
    """
    data = fileio.get(path, backend_args=backend_args)
    return decode_ultrasound_image(data, str(path), frame, windowing)


def read_dicom(data: bytes, filename: str = '<bytes>') -> pydicom.Dataset:
    """Parse a DICOM file that holds pixel data.

    Args:
        data (bytes): Content of the file.
        filename (str): Name used in error messages.

    Returns:
        pydicom.Dataset: The dataset, for :func:`decode_dicom_frame`.

    Raises:
        ValueError: Naming the file, when it cannot be parsed or has no
            PixelData.
    """
    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except Exception as err:
        raise ValueError(f'{filename}: cannot read DICOM: {err}') from err
    if 'PixelData' not in ds:
        raise ValueError(f'{filename}: DICOM file has no PixelData')
    return ds


def _decode_dicom(data: bytes, filename: str, frame: Optional[int],
                  windowing: str) -> np.ndarray:
    """Decode one frame of a DICOM file; see the module docstring."""
    return decode_dicom_frame(
        read_dicom(data, filename), filename, frame, windowing)


def decode_dicom_frame(ds: pydicom.Dataset,
                       filename: str = '<dicom>',
                       frame: Optional[int] = None,
                       windowing: str = 'auto') -> np.ndarray:
    """Decode one frame of a parsed DICOM dataset (:func:`read_dicom`), as
    :func:`decode_ultrasound_image` does for a file: a loop is parsed once and
    decoded frame by frame.

    Args:
        ds (pydicom.Dataset): The dataset.
        filename (str): Name used in error messages.
        frame (int, optional): 0-based frame; None means the first.
        windowing (str): One of :data:`WINDOWING_MODES`.

    Returns:
        np.ndarray: ``(H, W, 3)`` ``uint8`` image in BGR order.
    """
    num_frames = int(ds.get('NumberOfFrames') or 1)
    index = frame or 0
    if index >= num_frames:
        raise ValueError(f'{filename}: frame {index} requested but the DICOM '
                         f'file has {num_frames} frame(s)')
    try:
        # ``index`` decodes only the requested frame of a cine loop; YBR data is
        # converted to RGB by pydicom (its default ``as_rgb=True``).
        arr = pixel_array(ds, index=index if num_frames > 1 else None)
    except Exception as err:
        raise ValueError(f'{filename}: cannot decode DICOM pixel data '
                         f'({ds.file_meta.get("TransferSyntaxUID", "?")}): '
                         f'{err}') from err
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2'))
    bits_stored = int(ds.get('BitsStored') or ds.get('BitsAllocated') or 8)

    if photometric == 'PALETTE COLOR':
        rgb = apply_color_lut(arr, ds)
        lut_bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        if lut_bits > 8:
            rgb = rgb >> (lut_bits - 8)
        return rgb.astype(np.uint8)[..., ::-1].copy()
    if arr.ndim == 3:
        rgb = to_uint8(arr, windowing, bits=bits_stored, name=filename)
        return rgb[..., ::-1].copy()

    window = (
        _dicom_window(ds) if windowing == 'auto' and bits_stored > 8 else None)
    if window is not None:
        # The window is expressed in modality units (e.g. after rescale).
        gray = _apply_window(apply_modality_lut(arr, ds), *window)
    else:
        if windowing == 'full_range' and ds.get('PixelRepresentation') == 1:
            arr = arr.astype(np.int64) + 2**(bits_stored - 1)  # to unsigned
        gray = to_uint8(arr, windowing, bits=bits_stored, name=filename)
    if photometric == 'MONOCHROME1':
        gray = 255 - gray
    return _gray_to_bgr(gray)


def _dicom_window(ds: pydicom.Dataset) -> Optional[tuple]:
    """First (center, width) of a DICOM VOI window, or None."""
    center, width = ds.get('WindowCenter'), ds.get('WindowWidth')
    if center is None or width is None:
        return None
    center = float(center[0] if isinstance(center, Sequence) else center)
    width = float(width[0] if isinstance(width, Sequence) else width)
    return (center, width) if width >= 1 else None


def _apply_window(arr: np.ndarray, center: float, width: float) -> np.ndarray:
    """DICOM linear VOI function (PS3.3 C.11.2.1.2) with output range 0..255."""
    scaled = ((arr.astype(np.float64) -
               (center - 0.5)) / max(width - 1, 1) + 0.5) * 255
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def to_uint8(img: np.ndarray,
             windowing: str = 'minmax',
             bits: Optional[int] = None,
             name: str = '<array>') -> np.ndarray:
    """Map an image with any sample type to ``uint8``.

    Args:
        img (np.ndarray): Image of any numeric dtype.
        windowing (str): ``'minmax'`` / ``'auto'`` rescale the image's own range,
            ``'full_range'`` rescales ``[0, 2**bits - 1]``. Defaults to ``'minmax'``.
        bits (int, optional): Bits per sample of the data; needed by
            ``'full_range'``. Data of at most 8 bits is returned unscaled.
        name (str): Image name for error messages.

    Returns:
        np.ndarray: ``uint8`` image of the same shape.
    """
    if img.dtype == np.uint8 or (bits is not None and bits <= 8
                                 and img.min() >= 0 and img.max() <= 255):
        return img.astype(np.uint8)
    img = img.astype(np.float64)
    if windowing == 'full_range':
        if bits is None:
            raise ValueError(f'{name}: windowing="full_range" needs integer '
                             'samples, got floating-point data')
        low, high = 0.0, float(2**bits - 1)
    else:
        low, high = float(img.min()), float(img.max())
    if high <= low:
        return np.zeros(img.shape, np.uint8)
    return np.clip(np.round((img - low) * (255.0 / (high - low))), 0,
                   255).astype(np.uint8)


def _dtype_max(dtype: np.dtype) -> float:
    return float(np.iinfo(dtype).max) if dtype.kind in 'ui' else 1.0


def _gray_to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return np.repeat(img[..., None], 3, axis=2)
    if img.shape[2] == 1:
        return np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img)
