"""Reading cine loops: a multi-frame DICOM file, a video file (OpenCV) or a
folder of frame images, with the calibration each states."""
import re
from pathlib import Path
from typing import List, NamedTuple, Union

import cv2
import numpy as np

from ..structures.calibration import PixelCalibration
from .dicom_calibration import dicom_calibration
from .image_io import (decode_dicom_frame, decode_ultrasound_image, is_dicom,
                       read_dicom)

#: Suffixes of the frame images read from a folder.
FRAME_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm')
#: Suffixes read as video files by OpenCV.
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.mpg', '.mpeg', '.wmv')


class CineFrames(NamedTuple):
    """A loop in memory.

    Attributes:
        frames: T frames, (H, W, 3) uint8 RGB.
        calibration: What the input states (spacing of a DICOM file, frame
            time of a DICOM file or a video); nothing for a folder.
        kind: ``'dicom'``, ``'video'`` or ``'folder'``.
        names: A name per frame (file names for a folder).
    """
    frames: List[np.ndarray]
    calibration: PixelCalibration
    kind: str
    names: List[str]


def read_cine(path: Union[str, Path]) -> CineFrames:
    """Read every frame of a loop.

    Args:
        path (str | Path): A DICOM file (single or multi-frame), a video file
            (:data:`VIDEO_SUFFIXES`) or a folder whose files with
            :data:`FRAME_SUFFIXES` are the frames in natural name order
            (``2.png`` before ``10.png``).

    Returns:
        CineFrames: the frames and their calibration.

    Raises:
        ValueError: An unreadable input, frames of different sizes or an
            empty folder, naming the file.
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise ValueError(f'{path}: no such file or folder')
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return _read_video(path)
    data = path.read_bytes()
    if not is_dicom(data, str(path)):
        raise ValueError(
            f'{path}: not a loop: give a DICOM file, a video ('
            f'{", ".join(VIDEO_SUFFIXES)}) or a folder of frames')
    # Parsed once: every frame is decoded from the same dataset.
    ds = read_dicom(data, str(path))
    num = int(ds.get('NumberOfFrames') or 1)
    frames = [
        np.ascontiguousarray(
            decode_dicom_frame(ds, str(path), index)[..., ::-1])
        for index in range(num)
    ]
    return CineFrames(frames, dicom_calibration(ds, str(path)), 'dicom',
                      [f'{path.name}[{index}]' for index in range(num)])


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r'(\d+)', name)]


def _read_folder(folder: Path) -> CineFrames:
    files = sorted((p for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES),
                   key=lambda p: _natural_key(p.name))
    if not files:
        raise ValueError(f'{folder}: no frame images '
                         f'({", ".join(FRAME_SUFFIXES)}) in the folder')
    frames = []
    for file in files:
        bgr = decode_ultrasound_image(file.read_bytes(), str(file))
        if frames and bgr.shape != frames[0].shape:
            raise ValueError(
                f'{file}: frame of {bgr.shape[1]}x{bgr.shape[0]} (WxH) but '
                f'{files[0].name} is {frames[0].shape[1]}x'
                f'{frames[0].shape[0]}; all frames must have one size')
        frames.append(np.ascontiguousarray(bgr[..., ::-1]))
    return CineFrames(frames, PixelCalibration(), 'folder',
                      [p.name for p in files])


def _read_video(path: Path) -> CineFrames:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise ValueError(f'{path}: OpenCV cannot open this video')
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0)
        frames = []
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(np.ascontiguousarray(bgr[..., ::-1]))
    finally:
        capture.release()
    if not frames:
        raise ValueError(f'{path}: the video has no decodable frame')
    calibration = PixelCalibration(
        frame_time_ms=1000.0 / fps if fps > 0 else None,
        source='none',
        problems=() if fps > 0 else (f'{path}: the video states no frame '
                                     'rate', ))
    return CineFrames(frames, calibration, 'video',
                      [f'{path.name}[{i}]' for i in range(len(frames))])
