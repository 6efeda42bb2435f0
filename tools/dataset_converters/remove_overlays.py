"""Remove burned-in annotations from a folder of ultrasound images.

    python tools/dataset_converters/remove_overlays.py IN_DIR OUT_DIR \
        [--frame-stride N] [--workers N]

Every image below IN_DIR (PNG, JPEG, BMP, TIFF, DICOM; a file without suffix
is read when it is DICOM) is cleaned by ``RemoveOverlays`` (text, calipers,
markers and colour overlays detected and inpainted) and written as an 8-bit
PNG at the same relative path in OUT_DIR (``name.png``; the frames of a
multi-frame DICOM as ``name__fNNNN.png``, every ``--frame-stride``-th one).
``OUT_DIR/overlay_report.json`` lists, per output, its source, frame and the
share of pixels inpainted, and the files that could not be read (skipped).

OUT_DIR must be new or empty and may not overlap IN_DIR; it is written as a
hidden sibling and renamed when complete, so an interrupted run leaves
nothing. Point an unlabeled dataset at the result with ``dict(folder=OUT_DIR)``.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
from multiprocessing import Pool
from typing import List, Optional, Sequence, Tuple

import cv2

from ultrasam.datasets import read_ultrasound_image
from ultrasam.datasets.transforms.remove_overlays import remove_overlays
from ultrasam.datasets.unlabeled.sources import (dicom_frame_count,
                                                 list_files, parse_source)

TOOL = 'remove_overlays.py'
REPORT = 'overlay_report.json'

# (source path, frame or None, output path relative to OUT_DIR)
Job = Tuple[str, Optional[int], str]


def plan(in_dir: str, frame_stride: int) -> Tuple[List[Job], List[dict]]:
    """The images to clean and where they go; unreadable DICOM headers.

    Raises:
        ValueError: two inputs would give the same output name.
    """
    files, _ = list_files(parse_source(dict(folder=in_dir), 0))
    jobs, skipped, outputs = [], [], {}
    for file in files:
        stem = osp.splitext(osp.relpath(file.path, in_dir))[0]
        frames = [None]
        if file.dicom:
            try:
                count = dicom_frame_count(file.path)
            except ValueError as err:
                skipped.append(dict(source=file.path, reason=str(err)))
                continue
            if count > 1:
                frames = list(range(0, count, frame_stride))
        for frame in frames:
            output = (f'{stem}.png' if frame is None else
                      f'{stem}__f{frame:04d}.png')
            if output in outputs:
                raise ValueError(
                    f'{file.path} and {outputs[output]} would both be '
                    f'written to {output}; rename one of them')
            outputs[output] = file.path
            jobs.append((file.path, frame, output))
    return jobs, skipped


def clean_one(job: Job, out_dir: str) -> dict:
    """Clean one image into ``out_dir``; its report entry."""
    source, frame, output = job
    try:
        image = read_ultrasound_image(source, frame)
    except (OSError, ValueError) as err:
        return dict(source=source, frame=frame, reason=str(err))
    cleaned, mask = remove_overlays(image)
    path = osp.join(out_dir, output)
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, cleaned):
        raise OSError(f'cannot write {path}')
    return dict(source=source, frame=frame, output=output,
                overlay_fraction=round(float(mask.mean()), 6))


def _clean_job(args: Tuple[Job, str]) -> dict:
    return clean_one(*args)


def output_problem(in_dir: str, out_dir: str) -> Optional[str]:
    """Why OUT_DIR cannot be written, or None."""
    if not osp.isdir(in_dir):
        return f'IN_DIR {in_dir} is not a directory'
    source, target = osp.realpath(in_dir), osp.realpath(out_dir)
    if (target == source or target.startswith(source + os.sep)
            or source.startswith(target + os.sep)):
        return (f'OUT_DIR {out_dir} overlaps IN_DIR {in_dir}; choose a '
                'folder outside it')
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or os.listdir(out_dir)):
        return (f'OUT_DIR {out_dir} exists and is not an empty folder; it is '
                'never overwritten, choose a new one')
    return None


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog=TOOL,
                                     description=__doc__.split('\n')[0])
    parser.add_argument('in_dir', help='folder of ultrasound images')
    parser.add_argument('out_dir', help='new folder for the cleaned PNGs')
    parser.add_argument('--frame-stride', type=int, default=1,
                        help='every n-th frame of multi-frame DICOMs')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes (default 1)')
    args = parser.parse_args(argv)
    problem = output_problem(args.in_dir, args.out_dir)
    if problem is None and (args.frame_stride < 1 or args.workers < 1):
        problem = '--frame-stride and --workers must be >= 1'
    if problem is None:
        try:
            jobs, skipped = plan(args.in_dir, args.frame_stride)
        except ValueError as err:
            problem = str(err)
    if problem is None and not jobs:
        problem = f'no image found below {args.in_dir}'
    if problem is not None:
        sys.exit(f'{TOOL}: error: {problem}')

    target = osp.abspath(args.out_dir)
    staging = osp.join(osp.dirname(target),
                       f'.{osp.basename(target)}.partial-{os.getpid()}')
    os.makedirs(staging)
    try:
        work = [(job, staging) for job in jobs]
        if args.workers == 1:
            entries = [_clean_job(item) for item in work]
        else:
            with Pool(args.workers) as pool:
                entries = pool.map(_clean_job, work, chunksize=16)
        cleaned = [entry for entry in entries if 'output' in entry]
        skipped += [entry for entry in entries if 'output' not in entry]
        with open(osp.join(staging, REPORT), 'w', encoding='utf-8') as file:
            json.dump(dict(images=cleaned, skipped=skipped), file, indent=1)
        if osp.isdir(target):
            os.rmdir(target)  # empty, checked above
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with_overlays = sum(entry['overlay_fraction'] > 0 for entry in cleaned)
    print(f'{TOOL}: cleaned {len(cleaned)} images into {args.out_dir} '
          f'({with_overlays} had overlays); skipped {len(skipped)} '
          f'unreadable (see {osp.join(args.out_dir, REPORT)})')


if __name__ == '__main__':
    main()
