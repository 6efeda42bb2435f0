"""Tiny DICOM files written from scratch for the calibration and cine tests."""
import io
from typing import Optional, Sequence

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

US_MULTIFRAME = '1.2.840.10008.5.1.4.1.1.3.1'


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
                cine_rate: Optional[float] = None) -> bytes:
    """A MONOCHROME2 uint8 DICOM of ``frames`` ((T, H, W) or (H, W))."""
    frames = np.asarray(frames, np.uint8)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = US_MULTIFRAME
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'US'
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows, ds.Columns = frames.shape[-2:]
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if frames.ndim == 3:
        ds.NumberOfFrames = len(frames)
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    if regions:
        ds.SequenceOfUltrasoundRegions = list(regions)
    if frame_time is not None:
        ds.FrameTime = frame_time
    if cine_rate is not None:
        ds.CineRate = cine_rate
    ds.PixelData = frames.tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
