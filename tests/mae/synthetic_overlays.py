"""Synthetic burned-in overlays on phantoms, and how well RemoveOverlays takes
them out.

``python tests/mae/synthetic_overlays.py [--num-images N]`` prints the figures
of the README (MAE pretraining: overlay removal); ``test_remove_overlays.py``
asserts on a smaller run of the same measurement.
"""
import argparse
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

import cv2
import numpy as np

from ultrasam.datasets.synthetic import PhantomConfig, generate_phantom
from ultrasam.datasets.transforms.remove_overlays import remove_overlays

# A pixel counts as overlay when drawing changed it by this many grey levels
# (anti-aliased rims fade below it).
OVERLAY_CHANGE = 10
# Tissue "away from overlays" is farther than this from every overlay pixel.
AWAY_DISTANCE = 5
KINDS = ('text', 'crosses', 'caliper lines', 'colour boxes')
_WORDS = ('L 2.31cm', '12MHz', 'GAIN 54', 'DR 60', 'D 4.0', 'ABD', 'LT',
          'THY', '1/2', 'Fr 27')
_GREYS = ((255, 255, 255), (235, 235, 235), (210, 210, 210))
_COLOURS = ((0, 255, 0), (0, 255, 255), (255, 255, 0), (0, 165, 255),
            (255, 0, 255))


class OverlaidImage(NamedTuple):
    """A phantom (BGR), the same with overlays, and the overlay mask."""
    clean: np.ndarray
    overlaid: np.ndarray
    overlay: np.ndarray


def phantoms(num_images: int, seed: int = 0,
             image_size: int = 256) -> List[np.ndarray]:
    """Seeded B-mode phantoms as BGR images."""
    config = PhantomConfig(image_size=image_size)
    return [
        cv2.cvtColor(
            generate_phantom(np.random.default_rng([seed, i]), config).image,
            cv2.COLOR_GRAY2BGR) for i in range(num_images)
    ]


def draw_overlays(image: np.ndarray, kind: str,
                  rng: np.random.Generator) -> np.ndarray:
    """Draw 2-4 overlays of one kind with OpenCV, as scanners burn them in."""
    out = image.copy()
    height, width = image.shape[:2]

    def point(margin: int) -> tuple:
        return (int(rng.integers(margin, width - margin)),
                int(rng.integers(margin, height - margin)))

    for _ in range(int(rng.integers(2, 5))):
        grey = _GREYS[int(rng.integers(len(_GREYS)))]
        if kind == 'text':
            x, y = point(20)
            cv2.putText(out, _WORDS[int(rng.integers(len(_WORDS)))],
                        (min(x, width - 70), y), cv2.FONT_HERSHEY_SIMPLEX,
                        float(rng.uniform(0.3, 0.5)), grey, 1, cv2.LINE_AA)
        elif kind == 'crosses':
            cv2.drawMarker(out, point(10), grey, cv2.MARKER_CROSS,
                           int(rng.integers(7, 14)), 1)
        elif kind == 'caliper lines':
            start, end = np.array(point(12)), np.array(point(12))
            steps = max(int(np.linalg.norm(end - start) // 5), 1)
            for t in np.linspace(0, 1, steps + 1)[1:-1]:
                x, y = np.round(start + t * (end - start)).astype(int)
                cv2.circle(out, (int(x), int(y)), 1, grey, -1)
            for tip in (start, end):
                cv2.drawMarker(out, tuple(int(v) for v in tip), grey,
                               cv2.MARKER_CROSS, 9, 1)
        elif kind == 'colour boxes':
            x, y = point(30)
            w, h = (int(v) for v in rng.integers(20, 70, size=2))
            colour = _COLOURS[int(rng.integers(len(_COLOURS)))]
            cv2.rectangle(out, (x - w // 2, y - h // 2),
                          (x + w // 2, y + h // 2), colour, 1)
        else:
            raise ValueError(f'unknown overlay kind {kind!r}')
    return out


def overlaid_set(images: Sequence[np.ndarray], kind: str,
                 seed: int = 0) -> List[OverlaidImage]:
    """Each image with overlays of ``kind`` and their mask."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    result = []
    for image in images:
        overlaid = draw_overlays(image, kind, rng)
        change = np.abs(overlaid.astype(np.int16) - image).max(axis=2)
        result.append(OverlaidImage(image, overlaid,
                                    change >= OVERLAY_CHANGE))
    return result


def measure(samples: Sequence[OverlaidImage]) -> Dict[str, float]:
    """Overlay pixels inpainted and still visible, tissue changed away from
    them.

    Returns:
        dict: ``inpainted`` (share of overlay pixels inside the inpainted
        mask), ``visible`` (share of overlay pixels whose cleaned value is
        still nearer the overlay than the clean image), ``error_before`` /
        ``error_after`` (mean absolute difference to the clean image on the
        overlay pixels, grey levels, before / after cleaning),
        ``tissue_changed`` (share of the pixels farther than AWAY_DISTANCE
        from any overlay that changed at all), ``tissue_mean_abs`` (their
        mean absolute change) and ``ms_per_image`` (``remove_overlays``).
    """
    overlay = inpainted = visible = away = changed = 0
    error_before = error_after = abs_change = elapsed = 0.0
    for sample in samples:
        start = time.perf_counter()
        cleaned, mask = remove_overlays(sample.overlaid)
        elapsed += time.perf_counter() - start
        cleaned = cleaned.astype(np.int16)
        error = np.abs(cleaned - sample.clean).max(axis=2)
        drawn = np.abs(cleaned - sample.overlaid).max(axis=2)
        before = np.abs(sample.overlaid.astype(np.int16) -
                        sample.clean).max(axis=2)
        overlay += int(sample.overlay.sum())
        inpainted += int((mask & sample.overlay).sum())
        visible += int((sample.overlay & (drawn < error)).sum())
        error_before += float(before[sample.overlay].sum())
        error_after += float(error[sample.overlay].sum())
        distance = cv2.distanceTransform(
            (~sample.overlay).astype(np.uint8), cv2.DIST_L2, 3)
        far = distance > AWAY_DISTANCE
        away += int(far.sum())
        changed += int((far & (error > 0)).sum())
        abs_change += float(error[far].sum())
    return dict(
        inpainted=inpainted / max(overlay, 1),
        visible=visible / max(overlay, 1),
        error_before=error_before / max(overlay, 1),
        error_after=error_after / max(overlay, 1),
        tissue_changed=changed / max(away, 1),
        tissue_mean_abs=abs_change / max(away, 1),
        ms_per_image=1000 * elapsed / max(len(samples), 1))


def measure_all(num_images: int, seed: int = 0) -> Dict[str, Dict[str, float]]:
    """:func:`measure` per overlay kind, and on the phantoms without any."""
    images = phantoms(num_images, seed)
    figures = {kind: measure(overlaid_set(images, kind, seed))
               for kind in KINDS}
    no_overlay = np.zeros(images[0].shape[:2], bool)
    figures['none (clean phantoms)'] = measure(
        [OverlaidImage(image, image, no_overlay) for image in images])
    return figures


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-images', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    figures = measure_all(args.num_images, args.seed)
    print('| overlays | overlay pixels inpainted | still visible | mean '
          'error on overlay pixels, before -> after | tissue pixels changed '
          f'(> {AWAY_DISTANCE} px from overlays) | mean change there | '
          'ms / image |')
    print('|---|---|---|---|---|---|---|')
    for kind, row in figures.items():
        print(f'| {kind} | {row["inpainted"]:.1%} | {row["visible"]:.1%} | '
              f'{row["error_before"]:.1f} -> {row["error_after"]:.1f} | '
              f'{row["tissue_changed"]:.3%} | {row["tissue_mean_abs"]:.3f} '
              f'| {row["ms_per_image"]:.1f} |')


if __name__ == '__main__':
    sys.exit(main())
