"""Physical calibration stated by a DICOM file (PS3.3 C.7.6.3 / C.8.5.5).

Read, in this order of meaning:

- ``PixelSpacing`` (0028,0030): row and column spacing in mm for the whole
  image.
- ``SequenceOfUltrasoundRegions`` (0018,6011): every region with a 2-D tissue
  or flow spatial format (``RegionSpatialFormat`` 1) whose physical units are
  centimetres in both directions (``PhysicalUnitsX/YDirection`` 3) gives the
  spacing ``|PhysicalDeltaY|``, ``|PhysicalDeltaX|`` (cm, converted to mm)
  inside its bounds ``RegionLocationMinX0 .. MaxY1``. Other regions (M-mode,
  spectral Doppler: seconds, cm/s) carry no spatial calibration and are
  skipped.
- ``FrameTime`` (0018,1063, ms), ``FrameTimeVector`` (0018,1065: the ms
  from each frame to the next, the first entry 0) when its intervals are
  all equal, or ``CineRate`` (0018,0040, frames per second) for loops.

Nothing is guessed: a region whose bounds leave the stored frame (the image
was resized after the calibration was written), a ``PixelSpacing`` that
disagrees with the regions, frame-time tags that disagree with each other,
or a ``FrameTimeVector`` with unequal intervals (the loop has no one frame
time) drop that calibration, and the reason is recorded in
``PixelCalibration.problems``.
"""
import io
import math
from typing import List, Optional, Union

import pydicom
from pydicom.multival import MultiValue

from ..structures.calibration import (SPACING_RTOL, CalibratedRegion,
                                      PixelCalibration, same_spacing)
from .image_io import is_dicom

#: ``PhysicalUnitsX/YDirection`` code of centimetres (PS3.3 C.8.5.5.1.15).
_UNITS_CM = 3
#: ``RegionSpatialFormat`` of 2-D tissue or flow images.
_SPATIAL_2D = 1


def dicom_calibration(ds: pydicom.Dataset,
                      name: str = '<dicom>') -> PixelCalibration:
    """The calibration a DICOM dataset states (see the module docstring).

    Args:
        ds (pydicom.Dataset): The dataset (pixel data not needed).
        name (str): File name for the problem messages.

    Returns:
        PixelCalibration: Spacing, regions and frame time that are usable,
        and the reasons for what was not.
    """
    problems: List[str] = []
    rows, cols = int(ds.get('Rows') or 0), int(ds.get('Columns') or 0)
    spacing = _pixel_spacing(ds, name, problems)
    regions = _regions(ds, name, rows, cols, problems)
    source = 'DICOM PixelSpacing' if spacing else 'none'
    if spacing and regions:
        if all(same_spacing(spacing, r.spacing) for r in regions):
            regions = []
        else:
            problems.append(
                f'{name}: PixelSpacing {spacing[0]:g},{spacing[1]:g} mm '
                'contradicts the ultrasound region calibration '
                f'({_describe(regions)}); neither is used')
            spacing, regions, source = None, [], 'none'
    elif regions:
        source = 'DICOM SequenceOfUltrasoundRegions'
        first = regions[0].spacing
        if all(same_spacing(first, r.spacing) for r in regions) and \
                _covers_frame(regions, rows, cols):
            spacing, regions = first, []
    return PixelCalibration(spacing, tuple(regions),
                            _frame_time(ds, name, problems), source,
                            tuple(problems))


def read_dicom_calibration(data: Union[bytes, str],
                           filename: str = '<bytes>'
                           ) -> Optional[PixelCalibration]:
    """Calibration of a DICOM file (bytes or path); None for other files.

    Args:
        data (bytes | str): File content or path.
        filename (str): Name for messages (the path when ``data`` is one).

    Returns:
        PixelCalibration, optional: None when the file is not DICOM.
    """
    if isinstance(data, str):
        filename = data
        with open(data, 'rb') as file:
            data = file.read()
    if not is_dicom(data, filename):
        return None
    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True,
                             force=True)
    except Exception as err:
        raise ValueError(f'{filename}: cannot read DICOM: {err}') from err
    return dicom_calibration(ds, filename)


def _positive(value: object) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _pixel_spacing(ds: pydicom.Dataset, name: str,
                   problems: List[str]) -> Optional[tuple]:
    value = ds.get('PixelSpacing')
    if value is None:
        return None
    values = [_positive(v) for v in (
        value if isinstance(value, (list, tuple, MultiValue)) else [value])]
    if len(values) != 2 or None in values:
        problems.append(f'{name}: PixelSpacing {value!r} is not two positive '
                        'numbers; not used')
        return None
    return (values[0], values[1])


def _regions(ds: pydicom.Dataset, name: str, rows: int, cols: int,
             problems: List[str]) -> List[CalibratedRegion]:
    regions = []
    for index, item in enumerate(ds.get('SequenceOfUltrasoundRegions', [])):
        if item.get('RegionSpatialFormat') != _SPATIAL_2D:
            continue
        units = (item.get('PhysicalUnitsXDirection'),
                 item.get('PhysicalUnitsYDirection'))
        if units != (_UNITS_CM, _UNITS_CM):
            problems.append(
                f'{name}: ultrasound region {index} has physical units '
                f'{units} (X, Y), not centimetres (3); not used')
            continue
        deltas = [_positive(abs(float(item.get(tag) or 0)))
                  for tag in ('PhysicalDeltaY', 'PhysicalDeltaX')]
        if None in deltas:
            problems.append(f'{name}: ultrasound region {index} has no '
                            'positive PhysicalDeltaX/Y; not used')
            continue
        box = tuple(int(item.get(tag, -1)) for tag in
                    ('RegionLocationMinX0', 'RegionLocationMinY0',
                     'RegionLocationMaxX1', 'RegionLocationMaxY1'))
        if not (0 <= box[0] <= box[2] < cols and 0 <= box[1] <= box[3] < rows):
            problems.append(
                f'{name}: ultrasound region {index} spans x {box[0]}..{box[2]}'
                f', y {box[1]}..{box[3]}, outside the {cols}x{rows} (WxH) '
                'frame: the image was resized or cropped after calibration, '
                f'so its spacing ({deltas[1] * 10:g} mm per column, '
                f'{deltas[0] * 10:g} mm per row) does not apply; not used')
            continue
        regions.append(
            CalibratedRegion(box, (deltas[0] * 10.0, deltas[1] * 10.0)))
    return regions


def _covers_frame(regions: List[CalibratedRegion], rows: int,
                  cols: int) -> bool:
    return any(r.box == (0, 0, cols - 1, rows - 1) for r in regions)


def _describe(regions: List[CalibratedRegion]) -> str:
    return '; '.join(f'box {r.box}: {r.spacing[0]:g},{r.spacing[1]:g} mm'
                     for r in regions)


def _frame_time_vector(ds: pydicom.Dataset, name: str,
                       problems: List[str]) -> Optional[float]:
    """The one interval of ``FrameTimeVector``; None (with the reason in
    ``problems`` for an unusable vector) otherwise."""
    value = ds.get('FrameTimeVector')
    if value is None:
        return None
    values = list(value) if isinstance(value, (list, tuple,
                                               MultiValue)) else [value]
    # The first entry is the time before the first frame (0 by the standard).
    intervals = [_positive(v) for v in values[1:]]
    if not intervals or None in intervals:
        problems.append(f'{name}: FrameTimeVector {values[:4]} holds no '
                        'positive intervals; no frame time is used')
        return None
    shortest, longest = min(intervals), max(intervals)
    if not math.isclose(shortest, longest, rel_tol=10 * SPACING_RTOL):
        problems.append(
            f'{name}: FrameTimeVector intervals range from {shortest:g} to '
            f'{longest:g} ms: the loop has no single frame time; no frame '
            'time is used')
        return None
    return sum(intervals) / len(intervals)


def _frame_time(ds: pydicom.Dataset, name: str,
                problems: List[str]) -> Optional[float]:
    """FrameTime, the uniform FrameTimeVector or 1000 / CineRate, in ms, when
    all that the file states agree."""
    stated = []
    frame_time = _positive(ds.get('FrameTime'))
    if frame_time is not None:
        stated.append(('FrameTime', frame_time))
    known_problems = len(problems)
    vector_time = _frame_time_vector(ds, name, problems)
    if len(problems) > known_problems:
        return None
    if vector_time is not None:
        stated.append(('FrameTimeVector', vector_time))
    cine_rate = _positive(ds.get('CineRate'))
    if cine_rate is not None:
        stated.append((f'CineRate {cine_rate:g} frames/s', 1000.0 / cine_rate))
    if not stated:
        return None
    first_tag, first = stated[0]
    for tag, value in stated[1:]:
        if not math.isclose(first, value, rel_tol=10 * SPACING_RTOL):
            problems.append(
                f'{name}: {first_tag} ({first:g} ms) contradicts {tag} '
                f'({value:g} ms); no frame time is used')
            return None
    return first
