"""Write a synthetic B-mode ultrasound phantom dataset in COCO format.

Example::

    python tools/dataset_converters/make_phantom.py --out data/phantom \
        --num-train 200 --num-test 50 --seed 0

Images go to ``OUT/images/{train,test}/``, annotations to
``OUT/annotations/{train,test}.json``. The same arguments always give
byte-identical files. The set is written next to ``OUT`` and renamed into place
when complete, so an interrupted run leaves ``OUT`` as it was. A non-empty
``OUT`` is only replaced with ``--overwrite``, and only if it holds a phantom set
this tool wrote (recognised by the generator recorded in its COCO ``info``).
"""
import argparse
import sys
import time

from ultrasam.datasets.synthetic import MIN_IMAGE_SIZE, write_phantom_coco


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='dataset root directory')
    parser.add_argument('--num-train', type=int, required=True,
                        help='number of training images')
    parser.add_argument('--num-test', type=int, required=True,
                        help='number of test images')
    parser.add_argument('--seed', type=int, default=0, help='non-negative base seed')
    parser.add_argument('--image-size', type=int, default=256,
                        help='side of the square images in pixels '
                        f'(at least {MIN_IMAGE_SIZE})')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the phantom set in OUT (never anything '
                        'else)')
    return parser.parse_args()


def main() -> None:
    """Generate the dataset and print a summary."""
    args = parse_args()
    start = time.perf_counter()
    try:
        summary = write_phantom_coco(args.out, args.num_train, args.num_test,
                                     args.seed, image_size=args.image_size,
                                     overwrite=args.overwrite)
    except (OSError, ValueError) as exc:
        sys.exit(f'make_phantom.py: error: {exc}')
    except KeyboardInterrupt:
        sys.exit(f'make_phantom.py: interrupted; {args.out} was left as it was')
    for split, info in summary.items():
        print(f'{split}: {info["images"]} images, {info["instances"]} instances '
              f'-> {info["ann_file"]}')
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
