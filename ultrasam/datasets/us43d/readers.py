"""Decoders for the raw file formats of US-43d: 2D images, MetaImage, NIfTI,
NumPy (with a restricted unpickler), video and HDF5.

Volumes are returned as (z, y, x[, c]) arrays, the order SimpleITK's
``GetArrayFromImage`` gives (the original converters' order), and are read
one slice at a time where the format allows, so memory stays bounded.
"""
import gzip
import io
import pickle
import struct
import zlib
from typing import BinaryIO, Iterator, Optional, Tuple

import cv2
import numpy as np

from .rawfs import RawFile, RawReadError

_META_TYPES = {
    'MET_UCHAR': np.uint8, 'MET_CHAR': np.int8, 'MET_USHORT': np.uint16,
    'MET_SHORT': np.int16, 'MET_UINT': np.uint32, 'MET_INT': np.int32,
    'MET_ULONG_LONG': np.uint64, 'MET_LONG_LONG': np.int64,
    'MET_FLOAT': np.float32, 'MET_DOUBLE': np.float64
}
_NIFTI_TYPES = {
    2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64,
    256: np.int8, 512: np.uint16, 768: np.uint32, 1024: np.int64,
    1280: np.uint64
}
_NIFTI_RGB24 = 128
# Errors of a truncated or corrupt compressed stream.
_CORRUPT = (zlib.error, OSError, EOFError)


class _ZlibReader(io.RawIOBase):
    """Sequential reads of a zlib stream without decompressing it whole."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._inflate = zlib.decompressobj()
        self._buffer = b''

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self._buffer:
            chunk = self._stream.read(1 << 20)
            if not chunk:
                self._buffer = self._inflate.flush()
                if not self._buffer:
                    return 0
                break
            self._buffer = self._inflate.decompress(chunk)
        size = min(len(out), len(self._buffer))
        out[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _read_exact(stream: BinaryIO, size: int, where: str) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise RawReadError(f'{where}: truncated data ({len(data)} of '
                               f'{size} bytes)')
        data += chunk
    return bytes(data)


class Volume:
    """A (z, y, x[, c]) array stored in a file, read slice by slice.

    Args:
        raw (RawFile): The file.
        shape (tuple[int]): Array shape, slowest axis first.
        dtype (np.dtype): Element type, with byte order.
        offset (int): Byte offset of the data in the decompressed stream.
        compression (str, optional): ``'zlib'`` or ``'gzip'``.
        scale (tuple[float, float], optional): NIfTI ``scl_slope, scl_inter``.
        channels (bool): The last axis holds the channels of one image.
        file_offset (int): Bytes of the file before the (compressed) data.
    """

    def __init__(self,
                 raw: RawFile,
                 shape: Tuple[int, ...],
                 dtype: np.dtype,
                 offset: int,
                 compression: Optional[str] = None,
                 scale: Optional[Tuple[float, float]] = None,
                 channels: bool = False,
                 file_offset: int = 0) -> None:
        self.raw, self.shape, self.dtype = raw, tuple(shape), np.dtype(dtype)
        self.offset, self.compression, self.scale = offset, compression, scale
        self.channels, self.file_offset = channels, file_offset

    def _stream(self) -> BinaryIO:
        stream = self.raw.open()
        _read_exact(stream, self.file_offset, self.raw.path)
        if self.compression == 'gzip':
            stream = gzip.GzipFile(fileobj=stream)
        elif self.compression == 'zlib':
            stream = io.BufferedReader(_ZlibReader(stream))
        _read_exact(stream, self.offset, self.raw.path)
        return stream

    def _finish(self, array: np.ndarray) -> np.ndarray:
        array = array.astype(array.dtype.newbyteorder('='))
        if self.scale is not None:
            slope, inter = self.scale
            array = array * slope + inter
        return array

    def slices(self) -> Iterator[np.ndarray]:
        """The slices along axis 0, in order."""
        per_slice = int(np.prod(self.shape[1:])) * self.dtype.itemsize
        try:
            with self._stream() as stream:
                for _ in range(self.shape[0]):
                    data = _read_exact(stream, per_slice, self.raw.path)
                    yield self._finish(
                        np.frombuffer(data, self.dtype).reshape(
                            self.shape[1:]))
        except _CORRUPT as err:
            raise RawReadError(f'{self.raw.path}: corrupt data ({err})')

    def read(self) -> np.ndarray:
        """The whole array."""
        size = int(np.prod(self.shape)) * self.dtype.itemsize
        try:
            with self._stream() as stream:
                data = _read_exact(stream, size, self.raw.path)
        except _CORRUPT as err:
            raise RawReadError(f'{self.raw.path}: corrupt data ({err})')
        return self._finish(np.frombuffer(data, self.dtype).reshape(self.shape))


def open_metaimage(raw: RawFile) -> Volume:
    """A MetaImage ``.mha`` (header and data in one file)."""
    header, offset = {}, 0
    with raw.open() as stream:
        while True:
            line = stream.readline(4096)
            if not line:
                raise RawReadError(f'{raw.path}: MetaImage header has no '
                                   'ElementDataFile line')
            offset += len(line)
            key, _, value = line.decode('latin-1').partition('=')
            header[key.strip()] = value.strip()
            if key.strip() == 'ElementDataFile':
                break
    if header['ElementDataFile'] != 'LOCAL':
        raise RawReadError(f'{raw.path}: detached MetaImage data files '
                           f'({header["ElementDataFile"]!r}) are not supported')
    try:
        dims = [int(v) for v in header['DimSize'].split()]
        dtype = np.dtype(_META_TYPES[header['ElementType']])
    except (KeyError, ValueError) as err:
        raise RawReadError(f'{raw.path}: bad MetaImage header field {err}')
    big = header.get('BinaryDataByteOrderMSB',
                     header.get('ElementByteOrderMSB', 'False')) == 'True'
    dtype = dtype.newbyteorder('>' if big else '<')
    shape = tuple(reversed(dims))
    channels = int(header.get('ElementNumberOfChannels', 1))
    if channels > 1:
        shape += (channels, )
    compressed = header.get('CompressedData', 'False') == 'True'
    return Volume(raw, shape, dtype, 0, 'zlib' if compressed else None,
                  channels=channels > 1, file_offset=offset)


def open_nifti(raw: RawFile) -> Volume:
    """A NIfTI-1 ``.nii`` or ``.nii.gz`` file."""
    compression = 'gzip' if raw.path.lower().endswith('.gz') else None
    with raw.open() as stream:
        if compression:
            stream = gzip.GzipFile(fileobj=stream)
        try:
            header = _read_exact(stream, 348, raw.path)
        except (OSError, EOFError) as err:
            raise RawReadError(f'{raw.path}: not a NIfTI file ({err})')
    for endian in '<>':
        if struct.unpack(endian + 'i', header[:4])[0] == 348:
            break
    else:
        raise RawReadError(f'{raw.path}: not a NIfTI-1 file (header size '
                           'is not 348; NIfTI-2 is not supported)')
    dim = struct.unpack(endian + '8h', header[40:56])
    datatype = struct.unpack(endian + 'h', header[70:72])[0]
    vox_offset = int(struct.unpack(endian + 'f', header[108:112])[0])
    slope, inter = struct.unpack(endian + '2f', header[112:120])
    ndim = dim[0]
    if not 1 <= ndim <= 7:
        raise RawReadError(f'{raw.path}: bad NIfTI dim[0] = {ndim}')
    shape = tuple(reversed(dim[1:ndim + 1]))
    if datatype == _NIFTI_RGB24:
        dtype, shape = np.dtype(np.uint8), shape + (3, )
    elif datatype in _NIFTI_TYPES:
        dtype = np.dtype(_NIFTI_TYPES[datatype]).newbyteorder(endian)
    else:
        raise RawReadError(f'{raw.path}: unsupported NIfTI datatype '
                           f'{datatype}')
    scale = None
    if slope not in (0.0, 1.0) or inter != 0.0:
        scale = (slope, inter)
    return Volume(raw, shape, dtype, max(vox_offset, 352), compression, scale,
                  channels=datatype == _NIFTI_RGB24)


def open_volume(raw: RawFile) -> Volume:
    """A volume file, by its extension (``.mha``, ``.nii``, ``.nii.gz``)."""
    lower = raw.path.lower()
    if lower.endswith('.mha'):
        return open_metaimage(raw)
    if lower.endswith(('.nii', '.nii.gz')):
        return open_nifti(raw)
    raise RawReadError(f'{raw.path}: not a volume format this reader knows')


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, dicts, lists and scalars, nothing else.

    The FASS masks are pickled dicts; a downloaded pickle may hold any code,
    so only NumPy's array reconstruction is allowed.
    """
    _ALLOWED = {('numpy.core.multiarray', '_reconstruct'),
                ('numpy._core.multiarray', '_reconstruct'),
                ('numpy.core.multiarray', 'scalar'),
                ('numpy._core.multiarray', 'scalar'), ('numpy', 'ndarray'),
                ('numpy', 'dtype')}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f'refusing to load {module}.{name} from a pickle')
        return super().find_class(module, name)


def load_npy(data: bytes, where: str) -> np.ndarray:
    """A ``.npy`` array; object arrays go through :class:`_SafeUnpickler`."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(stream)
        if dtype.hasobject:
            return _SafeUnpickler(stream).load()
        array = np.frombuffer(stream.read(), dtype)
    except (ValueError, pickle.UnpicklingError, EOFError) as err:
        raise RawReadError(f'{where}: cannot read the .npy file ({err})')
    order = 'F' if fortran else 'C'
    return array.reshape(shape, order=order)


def read_plane(raw: RawFile, plane: int) -> np.ndarray:
    """Plane ``plane`` of a stacked volume file, or its only image."""
    volume = open_volume(raw)
    array = volume.read()
    stacked = array.ndim - int(volume.channels) == 3
    if not stacked:
        return array
    if plane >= array.shape[0]:
        raise RawReadError(f'{raw.path}: has {array.shape[0]} planes, plane '
                           f'{plane} was asked for')
    return array[plane]


def decode_image(raw: RawFile, data: Optional[bytes] = None) -> np.ndarray:
    """A 2D image file as an array (grey, BGR(A), any bit depth).

    Args:
        raw (RawFile): The file.
        data (bytes, optional): Its bytes when already read.

    Raises:
        RawReadError: When the file is corrupt or its format unknown.
    """
    lower = raw.path.lower()
    if lower.endswith(('.mha', '.nii', '.nii.gz')):
        array = open_volume(raw).read()
        return array[0] if array.ndim == 3 and array.shape[0] == 1 else array
    data = raw.read() if data is None else data
    if lower.endswith('.npy'):
        return load_npy(data, raw.path)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise RawReadError(f'{raw.path}: corrupt or unreadable image')
    return image


def video_frames(path: str, where: str) -> Iterator[np.ndarray]:
    """The frames of a video file, decoded one at a time (BGR)."""
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise RawReadError(f'{where}: cannot open the video')
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()
