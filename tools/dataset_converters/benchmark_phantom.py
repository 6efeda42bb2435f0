"""Measure phantom generation speed on a single CPU core.

Example::

    python tools/dataset_converters/benchmark_phantom.py --num-images 100

Reports images/s for generation alone and for the full dataset writer
(generation + PNG + RLE + JSON), pinned to one core with single-threaded
OpenCV / FFT.
"""
import os

# Single-threaded numeric libraries; must be set before numpy is imported.
for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from ultrasam.datasets.synthetic import (PhantomConfig,  # noqa: E402
                                         generate_phantom, write_phantom_coco)


def main() -> None:
    """Run both benchmarks and print images/s."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=100)
    parser.add_argument('--image-size', type=int, default=256)
    args = parser.parse_args()

    cv2.setNumThreads(1)
    if hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cfg = PhantomConfig(image_size=args.image_size)
    generate_phantom(np.random.default_rng(0), cfg)  # warm-up (FFT plans, imports)

    start = time.perf_counter()
    for index in range(args.num_images):
        generate_phantom(np.random.default_rng(index), cfg)
    generate_rate = args.num_images / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_phantom_coco(tmp, args.num_images, 0, seed=0, image_size=args.image_size)
        write_rate = args.num_images / (time.perf_counter() - start)

    print(f'{args.image_size}x{args.image_size}, one core: '
          f'generate {generate_rate:.1f} images/s, '
          f'generate + write COCO {write_rate:.1f} images/s')


if __name__ == '__main__':
    main()
