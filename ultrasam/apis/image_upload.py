"""Checks and decoding of an uploaded image file: size limits read from the header
before any pixel is decoded, then one frame as an RGB array."""
import io
import re
import warnings
from typing import NamedTuple

import numpy as np
import pydicom
from PIL import Image

from ..datasets import decode_ultrasound_image
from ..datasets.image_io import is_dicom

#: Largest frame accepted, in pixels (e.g. 5000 x 5000). The model sees at
#: most 1024 px per side; full-size masks and the predictor's float copy of
#: the image cost about 16 bytes per pixel, 400 MB at this limit.
MAX_IMAGE_PIXELS = 25_000_000


class ImageHeader(NamedTuple):
    """Size of an image file's frames, read without decoding pixels.

    Attributes:
        height (int): Rows of a frame.
        width (int): Columns of a frame.
        num_frames (int): Frames (more than 1 only for multi-frame DICOM).
    """
    height: int
    width: int
    num_frames: int


def _check_pixels(filename: str, height: int, width: int,
                  max_pixels: int) -> None:
    if height * width > max_pixels:
        raise ValueError(
            f'{filename}: a frame of {width}x{height} pixels '
            f'({height * width / 1e6:.1f} megapixels) exceeds the limit of '
            f'{max_pixels / 1e6:g} megapixels; downscale or crop the image')
    if height < 1 or width < 1:
        raise ValueError(f'{filename}: the image is empty ({width}x{height} '
                         'pixels)')


def read_image_header(data: bytes,
                      filename: str,
                      max_pixels: int = MAX_IMAGE_PIXELS) -> ImageHeader:
    """Size and frame count of an image file, checked against ``max_pixels``.

    DICOM headers are read by pydicom without the pixel data, other formats
    by Pillow's header parser. A file neither recognises is left to
    :func:`decode_frame` (OpenCV reads a few more formats); its size is then
    checked after decoding.

    Args:
        data (bytes): File content.
        filename (str): Name for messages and DICOM recognition.
        max_pixels (int): Largest frame accepted, in pixels.

    Returns:
        ImageHeader: Frame size and count; 0 x 0 when only decoding tells.

    Raises:
        ValueError: Empty file, unreadable DICOM header or an image over the
            limit, each naming the file.
    """
    if not data:
        raise ValueError(f'{filename}: empty file (0 bytes), not an image')
    if is_dicom(data, filename):
        try:
            ds = pydicom.dcmread(
                io.BytesIO(data), stop_before_pixels=True, force=True)
            height, width = int(ds.Rows), int(ds.Columns)
            num_frames = int(ds.get('NumberOfFrames') or 1)
        except Exception as err:
            raise ValueError(f'{filename}: not a readable DICOM image '
                             f'({type(err).__name__}: {err})') from err
        _check_pixels(filename, height, width, max_pixels)
        return ImageHeader(height, width, max(num_frames, 1))
    try:
        # Pillow warns (or raises) about very large images at open time; the
        # limit here is ours, checked below with a clearer message.
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError as err:
        # Pillow refuses the header of a huge image before telling its size;
        # its message has the pixel count.
        count = re.search(r'(\d+) pixels', str(err))
        size = (f'{int(count.group(1)) / 1e6:.1f} megapixels' if count else
                f'more pixels than Pillow opens ({err})')
        raise ValueError(
            f'{filename}: a frame of {size} exceeds the limit of '
            f'{max_pixels / 1e6:g} megapixels; downscale or crop the '
            'image') from err
    except Exception:  # Pillow raises many types on unknown or bad headers
        return ImageHeader(0, 0, 1)
    _check_pixels(filename, height, width, max_pixels)
    return ImageHeader(height, width, 1)


def decode_frame(data: bytes,
                 filename: str,
                 frame: int = 0,
                 max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """One frame as an (H, W, 3) uint8 RGB array, as the data pipeline reads it.

    Args:
        data (bytes): File content (PNG, JPEG, TIFF, 8 / 16 bit, or DICOM).
        filename (str): Name for messages and DICOM recognition.
        frame (int): 0-based frame of a multi-frame DICOM. Defaults to 0.
        max_pixels (int): Largest frame accepted, in pixels.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    bgr = decode_ultrasound_image(data, filename, frame=frame or None)
    _check_pixels(filename, bgr.shape[0], bgr.shape[1], max_pixels)
    return np.ascontiguousarray(bgr[..., ::-1])
