"""Measure US-43d build speed (images/s on one core) on synthetic raw data.

Example::

    python tools/dataset_converters/benchmark_us43d.py --num-images 200

Writes, in a temporary folder, a BUSI-like zip of 2D PNG images with two mask
files each and a brachial-plexus-like set of MP4 videos with a JPEG mask per
frame, then builds each with one worker pinned to one core and reports
images/s (decoding, mask decoding, 8-connected components, RLE, PNG writing,
split and COCO writing included).
"""
import os

# Single-threaded numeric libraries; must be set before numpy is imported.
for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'

import argparse  # noqa: E402
import io  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from ultrasam.datasets.us43d import BuildSettings, Builder  # noqa: E402


def _speckle(rng: np.random.Generator, size: int) -> np.ndarray:
    image = rng.rayleigh(40, (size, size)).clip(0, 255).astype(np.uint8)
    return cv2.GaussianBlur(image, (5, 5), 0)


def _lesion_mask(rng: np.random.Generator, size: int) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    centre = tuple(int(v) for v in rng.integers(size // 4, 3 * size // 4, 2))
    axes = tuple(int(v) for v in rng.integers(size // 16, size // 6, 2))
    cv2.ellipse(mask, centre, axes, float(rng.integers(0, 180)), 0, 360, 255,
                -1)
    return mask


def write_png_pairs(raw: Path, count: int, size: int) -> None:
    """BUSI layout: ``<cls> (N).png`` with ``_mask.png`` and ``_mask_1.png``."""
    rng = np.random.default_rng(0)
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, 'w', zipfile.ZIP_STORED) as archive:
        for index in range(1, count + 1):
            stem = f'Dataset_BUSI_with_GT/benign/benign ({index})'
            for name, array in ((f'{stem}.png', _speckle(rng, size)),
                                (f'{stem}_mask.png', _lesion_mask(rng, size)),
                                (f'{stem}_mask_1.png',
                                 _lesion_mask(rng, size))):
                archive.writestr(name, cv2.imencode('.png', array)[1])
    (raw / 'BUSI').mkdir(parents=True)
    (raw / 'BUSI' / 'BUSI.zip').write_bytes(stream.getvalue())


def write_videos(raw: Path, count: int, size: int, frames: int) -> None:
    """brachial plexus layout: MP4 videos, one JPEG mask per frame."""
    rng = np.random.default_rng(1)
    base = raw / 'brachial plexus' / 'data' / 'Sonosite'
    for video in range(count // frames):
        name = f's{video:03d}'
        (base / 'videos').mkdir(parents=True, exist_ok=True)
        (base / 'ac_masks' / name).mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(base / 'videos' / f'{name}.mp4'),
                                 cv2.VideoWriter_fourcc(*'mp4v'), 25,
                                 (size, size))
        for frame in range(frames):
            writer.write(cv2.cvtColor(_speckle(rng, size),
                                      cv2.COLOR_GRAY2BGR))
            cv2.imwrite(str(base / 'ac_masks' / name / f'{name}_{frame:03d}'
                            '.jpg'), _lesion_mask(rng, size))
        writer.release()


def measure(raw: Path, out: Path, name: str) -> float:
    """images/s of building one dataset with one worker."""
    start = time.perf_counter()
    manifest = Builder(str(raw), str(out), BuildSettings(datasets=(name, )),
                       workers=1, log=lambda line: None,
                       progress=False).run()
    elapsed = time.perf_counter() - start
    images = sum(s['images']
                 for s in manifest['datasets'][name]['splits'].values())
    return images / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--image-size', type=int, default=512)
    parser.add_argument('--video-size', type=int, default=256)
    parser.add_argument('--frames-per-video', type=int, default=50)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    if hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / 'raw'
        write_png_pairs(raw, args.num_images, args.image_size)
        write_videos(raw, args.num_images, args.video_size,
                     args.frames_per_video)
        png_rate = measure(raw, Path(tmp) / 'png', 'BUSI')
        video_rate = measure(raw, Path(tmp) / 'video', 'brachial plexus')
    print(f'one core: 2D PNG pairs {args.image_size}x{args.image_size} '
          f'(2 masks each) {png_rate:.1f} images/s; video '
          f'{args.video_size}x{args.video_size} (a JPEG mask per frame) '
          f'{video_rate:.1f} frames/s')


if __name__ == '__main__':
    main()
