"""Tiny DICOM files with chosen calibration tags for the calibration tests."""
import io
from typing import Optional, Sequence

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from ultrasam.datasets.synthetic import cine_loop_dicom


def ultrasound_region(box: Sequence[int], delta_cm: Sequence[float],
                      units: int = 3, spatial_format: int = 1) -> Dataset:
    """One item of SequenceOfUltrasoundRegions: box x0, y0, x1, y1 and the
    physical deltas (x, y) in units ``units`` (3 = cm)."""
    item = Dataset()
    item.RegionSpatialFormat = spatial_format
    item.RegionDataType = 1
    item.RegionFlags = 0
    (item.RegionLocationMinX0, item.RegionLocationMinY0,
     item.RegionLocationMaxX1, item.RegionLocationMaxY1) = box
    item.PhysicalUnitsXDirection = units
    item.PhysicalUnitsYDirection = units
    item.PhysicalDeltaX, item.PhysicalDeltaY = delta_cm
    return item


def dicom_bytes(frames: np.ndarray,
                pixel_spacing: Optional[Sequence[float]] = None,
                regions: Sequence[Dataset] = (),
                frame_time: Optional[float] = None,
                cine_rate: Optional[float] = None,
                frame_time_vector: Optional[Sequence[float]] = None) -> bytes:
    """A uint8 (T, H, W) ultrasound loop with the given calibration tags."""
    ds = pydicom.dcmread(
        io.BytesIO(cine_loop_dicom(np.asarray(frames, np.uint8),
                                   pixel_spacing, frame_time)))
    if regions:
        ds.SequenceOfUltrasoundRegions = list(regions)
    if cine_rate is not None:
        ds.CineRate = cine_rate
    if frame_time_vector is not None:
        ds.FrameTimeVector = list(frame_time_vector)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
