"""Physical calibration of an image: pixel spacing in millimetres (for the whole
image or per ultrasound region) and frame timing of cine loops.

Calibration is never guessed: what the input does not state, or states in
contradiction, is left out (``None``) and the reason is kept in ``problems`` so
that tools can report it next to measurements in pixels.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence, Tuple

#: Relative difference under which two spacings (or frame times) agree.
SPACING_RTOL = 1e-3

Spacing = Tuple[float, float]
Box = Tuple[float, float, float, float]


def check_spacing(value: Sequence[float],
                  name: str = 'pixel spacing') -> Spacing:
    """``(row_mm, col_mm)`` from one value (isotropic) or two (rows, columns).

    Args:
        value (Sequence[float]): One or two positive finite millimetre values,
            in DICOM ``PixelSpacing`` order: between rows, between columns.
        name (str): Name used in error messages.

    Returns:
        tuple[float, float]: Spacing between rows and between columns in mm.
    """
    values = [value] if isinstance(value, (int, float)) else list(value)
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be numbers in mm, got {value!r}') \
            from None
    if len(values) not in (1, 2) or not all(
            math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f'{name} must be one or two positive finite values '
                         f'in mm (rows, columns), got {value!r}')
    return (values[0], values[-1])


def same_spacing(a: Spacing, b: Spacing) -> bool:
    """Whether two spacings agree within :data:`SPACING_RTOL`."""
    return all(math.isclose(x, y, rel_tol=SPACING_RTOL) for x, y in zip(a, b))


@dataclass(frozen=True)
class CalibratedRegion:
    """A rectangle of the image with its own spacing (a DICOM ultrasound
    region, e.g. the B-mode sector of a screen capture).

    Args:
        box (tuple): x0, y0, x1, y1 pixel bounds, inclusive.
        spacing (tuple): (row_mm, col_mm) inside the region.
    """
    box: Box
    spacing: Spacing

    def contains(self, box: Box) -> bool:
        """Whether ``box`` (x0, y0, x1, y1) lies inside the region."""
        return (box[0] >= self.box[0] and box[1] >= self.box[1]
                and box[2] <= self.box[2] and box[3] <= self.box[3])


@dataclass(frozen=True)
class PixelCalibration:
    """Spacing and timing of an image or cine loop, with where they come from.

    Args:
        spacing (tuple, optional): (row_mm, col_mm) valid over the whole image,
            or None.
        regions (tuple[CalibratedRegion]): Regions with their own spacing; a
            measurement must lie inside one of them. Empty when the spacing
            (or nothing) applies to the whole image.
        frame_time_ms (float, optional): Time between frames, or None.
        source (str): Where the spacing comes from (e.g. ``'DICOM
            PixelSpacing'``, ``'--pixel-spacing'``), ``'none'`` without one.
        problems (tuple[str]): Why calibration present in the input was not
            used (contradictions, values outside the frame, bad units).
    """
    spacing: Optional[Spacing] = None
    regions: Tuple[CalibratedRegion, ...] = ()
    frame_time_ms: Optional[float] = None
    source: str = 'none'
    problems: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_spatial(self) -> bool:
        """Whether any spacing is known."""
        return self.spacing is not None or bool(self.regions)

    def spacing_for(self, box: Box) -> Tuple[Optional[Spacing], str]:
        """The spacing that applies to an object with bounding ``box``.

        Args:
            box (tuple): x0, y0, x1, y1 pixel bounds of the object, inclusive.

        Returns:
            tuple: ``(spacing, '')``, or ``(None, reason)`` when the image has
            no calibration or the object is not inside one calibrated region.
        """
        if self.spacing is not None:
            return self.spacing, ''
        if not self.regions:
            reasons = '; '.join(self.problems) or 'the input states none'
            return None, f'no pixel spacing ({reasons})'
        inside = [r.spacing for r in self.regions if r.contains(box)]
        if inside and all(same_spacing(inside[0], s) for s in inside):
            return inside[0], ''
        where = ', '.join(str(tuple(int(v) for v in r.box))
                          for r in self.regions)
        return None, (f'the object (box {tuple(int(v) for v in box)}) is not '
                      'inside one calibrated region (x0, y0, x1, y1: '
                      f'{where})')

    def with_user_spacing(self, spacing: Sequence[float],
                          name: str = '--pixel-spacing') -> 'PixelCalibration':
        """This calibration with a spacing given by the user.

        A spacing the file states must agree with it (a disagreement raises);
        without one the user's value is used and the file's problems are kept.

        Args:
            spacing (Sequence[float]): One or two mm values (rows, columns).
            name (str): How the user gave it, for messages and ``source``.

        Returns:
            PixelCalibration: The calibration to use.
        """
        spacing = check_spacing(spacing, name)
        stated = [self.spacing] if self.spacing else [
            r.spacing for r in self.regions
        ]
        for other in stated:
            if not same_spacing(other, spacing):
                raise ValueError(
                    f'{name} {spacing[0]:g},{spacing[1]:g} mm contradicts the '
                    f'{self.source} calibration of the input '
                    f'({other[0]:g},{other[1]:g} mm, rows,columns)')
        if stated:
            return self
        return PixelCalibration(spacing, (), self.frame_time_ms, name,
                                self.problems)

    def with_frame_time(self, frame_time_ms: Optional[float],
                        name: str = 'frame rate') -> 'PixelCalibration':
        """This calibration with a frame time from another source (a video's
        frame rate, ``--fps``); a different stated frame time raises."""
        if frame_time_ms is None:
            return self
        if not (math.isfinite(frame_time_ms) and frame_time_ms > 0):
            raise ValueError(f'{name}: frame time must be positive and '
                             f'finite, got {frame_time_ms!r} ms')
        if self.frame_time_ms is not None:
            if not math.isclose(self.frame_time_ms, frame_time_ms,
                                rel_tol=SPACING_RTOL):
                raise ValueError(
                    f'{name} ({frame_time_ms:g} ms per frame) contradicts the '
                    f'frame time of the input ({self.frame_time_ms:g} ms)')
            return self
        return PixelCalibration(self.spacing, self.regions, frame_time_ms,
                                self.source, self.problems)

    def to_dict(self) -> Dict[str, object]:
        """JSON-friendly form (stored in data-sample metainfo and outputs)."""
        return dict(
            pixel_spacing_mm=None if self.spacing is None else list(
                self.spacing),
            regions=[
                dict(box=[int(v) for v in r.box],
                     pixel_spacing_mm=list(r.spacing)) for r in self.regions
            ],
            frame_time_ms=self.frame_time_ms,
            source=self.source,
            problems=list(self.problems))

    @classmethod
    def from_dict(cls, data: Dict[str, object]) -> 'PixelCalibration':
        """Inverse of :meth:`to_dict`."""
        spacing = data.get('pixel_spacing_mm')
        return cls(
            None if spacing is None else check_spacing(spacing),
            tuple(
                CalibratedRegion(tuple(r['box']),
                                 check_spacing(r['pixel_spacing_mm']))
                for r in data.get('regions', ())),
            data.get('frame_time_ms'), str(data.get('source', 'none')),
            tuple(data.get('problems', ())))
