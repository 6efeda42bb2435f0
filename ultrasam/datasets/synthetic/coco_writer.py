"""COCO phantom sets: atomic writes, reuse of identical sets, no loss of other data."""
import dataclasses
import errno
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .config import GENERATOR_NAME, PHANTOM_VERSION, PhantomConfig, check_int
from .simulator import generate_phantom

SPLITS = ('train', 'test')
_TOOL = 'tools/dataset_converters/make_phantom.py'
# Per split: generator_version, seed, config (as JSON) and image count.
_Manifest = Dict[str, dict]


class _ConcurrentWrite(FileExistsError):
    """Another process moved a set into the output directory first."""


def write_phantom_coco(out_dir: Union[str, Path],
                       num_train: int,
                       num_test: int,
                       seed: int,
                       image_size: int = 256,
                       overwrite: bool = False,
                       config: Optional[PhantomConfig] = None) -> Dict[str, dict]:
    """Write a phantom dataset in COCO instance-segmentation format.

    Layout: ``out_dir/images/{train,test}/NNNNNN.png`` and
    ``out_dir/annotations/{train,test}.json``; ``file_name`` is relative to
    ``images/``. A single class-agnostic category ``object`` is used, and every
    annotation carries an extra ``lesion_type``. Image ``i`` of a split always
    comes from the seed sequence ``(seed, split index, i)``, so the output is
    byte-identical for the same arguments and an image does not change with the
    size of the splits. The COCO ``info`` records the generator, its version and
    the arguments: it is how a set of this generator is recognised.

    The set is written into a hidden sibling directory
    (``.NAME.partial-PID-RANDOM``) and renamed to ``out_dir`` when complete, so
    ``out_dir`` never holds a half-written set; an interrupted run leaves at most
    that sibling behind, which blocks nothing.

    Args:
        out_dir: Dataset root; absent or an empty directory unless ``overwrite``.
        num_train: Number of training images (>= 0).
        num_test: Number of test images (>= 0, at least one image in all).
        seed: Non-negative base seed.
        image_size: Side of the square images, at least ``MIN_IMAGE_SIZE``.
        overwrite: Replace a phantom set this generator wrote in ``out_dir``.
            Anything else in ``out_dir`` is never deleted.
        config: Generator settings; defaults to ``PhantomConfig(image_size)``.

    Returns:
        Per split, the annotation file path and the image and instance counts.

    Raises:
        ValueError: On a bad count, seed, image size or config.
        FileExistsError: If ``out_dir`` is not empty and ``overwrite`` is False,
            or ``out_dir`` holds anything this generator did not write.
    """
    config = _checked_config(num_train, num_test, seed, image_size, config)
    out_dir = Path(out_dir)
    replace = _holds_data(out_dir)
    if replace:
        _check_replaceable(out_dir, overwrite)
    # A symlinked out_dir keeps pointing at the new set.
    target = out_dir.resolve()
    staging = _make_sibling(target, 'partial')
    try:
        counts = _write_splits(staging, (num_train, num_test), seed, config)
        _move_into_place(staging, target, out_dir, replace)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {
        split: dict(ann_file=str(out_dir / 'annotations' / f'{split}.json'),
                    images=images, instances=instances)
        for split, (images, instances) in counts.items()
    }


def ensure_phantom_coco(root: Union[str, Path],
                        num_train: int,
                        num_test: int,
                        seed: int,
                        image_size: int = 256) -> str:
    """Write the phantom set into ``root``, or reuse the identical set found there.

    Safe when several processes call it at once: each writes its own hidden
    sibling, the first rename wins and the others reuse its set.

    Args:
        root: Dataset root.
        num_train: Number of training images.
        num_test: Number of test images.
        seed: Non-negative base seed.
        image_size: Side of the square images.

    Returns:
        ``'generated'`` or ``'reused'``.

    Raises:
        ValueError: On a bad count, seed or image size.
        FileExistsError: If ``root`` holds anything else (another phantom set,
            an incomplete one, other data); it is left untouched and the message
            says how to replace it.
    """
    config = _checked_config(num_train, num_test, seed, image_size, None)
    root = Path(root)
    if not _holds_data(root):
        try:
            write_phantom_coco(root, num_train, num_test, seed, image_size)
            return 'generated'
        except _ConcurrentWrite:
            pass  # another process finished first: check its set below
    wanted = _wanted_manifest((num_train, num_test), seed, config)
    make_command = (f'python {_TOOL} --out {root} --num-train {num_train} '
                    f'--num-test {num_test} --seed {seed} --image-size '
                    f'{image_size} --overwrite')
    manifest, problem = _read_manifest(root)
    if manifest is None:
        raise FileExistsError(
            f'{root} holds data that is not a phantom set of this generator '
            f'({problem}); it is never overwritten. Move it away or use another '
            'directory for the phantom set')
    if manifest != wanted:
        raise FileExistsError(
            f'{root} holds a different phantom set ({_describe(manifest, wanted)}) '
            f'than the one wanted ({_describe(wanted)}); it is never overwritten '
            f'automatically. Replace it with `{make_command}`, or use another '
            'directory for the phantom set')
    missing = _missing_files(root, manifest)
    if missing:
        raise FileExistsError(
            f'{root} holds an incomplete phantom set, missing '
            f'{_examples(missing)}. Replace it with `{make_command}`')
    return 'reused'


def _checked_config(num_train: int, num_test: int, seed: int, image_size: int,
                    config: Optional[PhantomConfig]) -> PhantomConfig:
    """Validate the writer's arguments; return the generator settings."""
    check_int('num_train', num_train, 0)
    check_int('num_test', num_test, 0)
    if num_train + num_test == 0:
        raise ValueError('num_train and num_test are both 0: nothing to generate')
    check_int('seed', seed, 0)
    if config is None:
        return PhantomConfig(image_size=image_size)
    if config.image_size != image_size:
        raise ValueError(f'config.image_size={config.image_size} differs from '
                         f'image_size={image_size}')
    return config


def _write_splits(root: Path, counts: Tuple[int, int], seed: int,
                  config: PhantomConfig) -> Dict[str, Tuple[int, int]]:
    """Write both splits into ``root``; return their image and instance counts."""
    (root / 'annotations').mkdir()
    written = {}
    for split_index, (split, count) in enumerate(zip(SPLITS, counts)):
        (root / 'images' / split).mkdir(parents=True)
        images, annotations = [], []
        for index in range(count):
            rng = np.random.default_rng(
                np.random.SeedSequence(seed, spawn_key=(split_index, index)))
            sample = generate_phantom(rng, config)
            image_id = index + 1
            file_name = _image_name(split, image_id)
            if not cv2.imwrite(str(root / 'images' / file_name), sample.image,
                               [cv2.IMWRITE_PNG_COMPRESSION, 3]):
                raise OSError(f'could not write {root / "images" / file_name}')
            images.append(dict(id=image_id, file_name=file_name,
                               height=config.image_size, width=config.image_size,
                               probe=sample.probe))
            for instance in sample.instances:
                rle, area, box = _encode_instance(instance['mask'])
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id, category_id=1,
                    segmentation=rle, area=area, bbox=box, iscrowd=0,
                    lesion_type=instance['lesion_type']))
        coco = dict(
            info=dict(description=f'UltraSam synthetic B-mode phantom ({split})',
                      generator=GENERATOR_NAME,
                      generator_version=PHANTOM_VERSION, seed=seed, split=split,
                      config=dataclasses.asdict(config)),
            images=images, annotations=annotations,
            categories=[dict(id=1, name='object')])
        (root / 'annotations' / f'{split}.json').write_text(
            json.dumps(coco, sort_keys=True, separators=(',', ':')),
            encoding='utf-8')
        written[split] = (len(images), len(annotations))
    return written


def _image_name(split: str, image_id: int) -> str:
    return f'{split}/{image_id:06d}.png'


def _encode_instance(mask: np.ndarray) -> Tuple[dict, float, List[float]]:
    """COCO RLE (counts as str), area and [x, y, w, h] box of a bool mask."""
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    rle['counts'] = rle['counts'].decode('ascii')
    rows, cols = np.nonzero(mask)
    x0, y0 = int(cols.min()), int(rows.min())
    box = [float(x0), float(y0), float(cols.max() - x0 + 1), float(rows.max() - y0 + 1)]
    return rle, float(mask.sum()), box


def _holds_data(path: Path) -> bool:
    """Whether ``path`` exists as anything but an empty directory."""
    if not path.exists():
        return False
    return not path.is_dir() or any(path.iterdir())


def _check_replaceable(out_dir: Path, overwrite: bool) -> None:
    """Raise unless ``overwrite`` is set and ``out_dir`` holds only a phantom set
    this generator wrote."""
    if not out_dir.is_dir():
        raise FileExistsError(f'{out_dir} exists and is not a directory')
    manifest, problem = _read_manifest(out_dir)
    if not overwrite:
        holds = (f' (it holds a phantom set: {_describe(manifest)})'
                 if manifest is not None else '')
        raise FileExistsError(
            f'{out_dir} already exists and is not empty{holds}; refusing to '
            'overwrite it. Choose another output directory, or pass --overwrite '
            '(overwrite=True) to replace a phantom set this generator wrote')
    if manifest is not None:
        foreign = _foreign_entries(out_dir, manifest)
        if not foreign:
            return
        problem = ('it holds files this generator did not write: '
                   f'{_examples(foreign)}')
    raise FileExistsError(
        f'{out_dir} is not a phantom set written by this generator ({problem}); '
        'refusing to delete it with --overwrite (overwrite=True). Choose another '
        'output directory, or move that one away yourself')


def _read_manifest(root: Path) -> Tuple[Optional[_Manifest], Optional[str]]:
    """The generator's record of the set in ``root``, or None and why it is not
    a set of this generator (checked from ``info.generator`` and the image names
    of both annotation files)."""
    if not root.is_dir():
        return None, 'it is not a directory'
    manifest = {}
    for split in SPLITS:
        name = f'annotations/{split}.json'
        try:
            coco = json.loads((root / name).read_text(encoding='utf-8'))
        except FileNotFoundError:
            return None, f'{name} is missing'
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return None, f'{name} is not readable JSON: {exc}'
        info = coco.get('info') if isinstance(coco, dict) else None
        if not (isinstance(info, dict) and info.get('generator') == GENERATOR_NAME
                and info.get('split') == split):
            return None, (f'{name} has no info.generator {GENERATOR_NAME!r} '
                          f'for split {split!r}')
        images = coco.get('images')
        names = [image.get('file_name') if isinstance(image, dict) else None
                 for image in (images if isinstance(images, list) else [])]
        if names != [_image_name(split, i + 1) for i in range(len(names))]:
            return None, f'{name} lists images this generator does not name'
        manifest[split] = dict(generator_version=info.get('generator_version'),
                               seed=info.get('seed'), config=info.get('config'),
                               images=len(names))
    return manifest, None


def _wanted_manifest(counts: Tuple[int, int], seed: int,
                     config: PhantomConfig) -> _Manifest:
    """The manifest a set written with these arguments has."""
    # Through JSON, as read back: tuples become lists.
    config_json = json.loads(json.dumps(dataclasses.asdict(config)))
    return {split: dict(generator_version=PHANTOM_VERSION, seed=seed,
                        config=config_json, images=count)
            for split, count in zip(SPLITS, counts)}


def _set_files(manifest: _Manifest) -> List[str]:
    """Paths, relative to the root, of every file of a set."""
    return [f'annotations/{split}.json' for split in SPLITS] + [
        f'images/{_image_name(split, i + 1)}'
        for split in SPLITS for i in range(manifest[split]['images'])]


def _missing_files(root: Path, manifest: _Manifest) -> List[str]:
    return [name for name in _set_files(manifest) if not (root / name).is_file()]


def _foreign_entries(root: Path, manifest: _Manifest) -> List[str]:
    """Entries of ``root`` that are not files or directories of the set."""
    files = set(_set_files(manifest))
    directories = {'annotations', 'images'} | {f'images/{s}' for s in SPLITS}
    foreign = []
    for dirpath, dirnames, filenames in os.walk(root):
        parent = Path(dirpath).relative_to(root)
        for name in dirnames:
            path = (parent / name).as_posix()
            if path not in directories or (Path(dirpath) / name).is_symlink():
                foreign.append(path + '/')
        foreign += [(parent / name).as_posix() for name in filenames
                    if (parent / name).as_posix() not in files]
    return sorted(foreign)


def _describe(manifest: _Manifest, other: Optional[_Manifest] = None) -> str:
    """Generator version, seed, split sizes and image size of a set; names the
    other settings when they differ from ``other``'s."""
    train = manifest['train']
    config = train['config'] if isinstance(train['config'], dict) else {}
    text = (f'generator version {train["generator_version"]} with seed '
            f'{train["seed"]} and {train["images"]} train images, '
            f'{manifest["test"]["images"]} test images of '
            f'{config.get("image_size")} px')
    if other is not None and _describe(other) == text:
        text += ', other generator settings'
    return text


def _examples(paths: List[str]) -> str:
    """The first paths of a list, for a message."""
    more = f' and {len(paths) - 3} more' if len(paths) > 3 else ''
    return ', '.join(paths[:3]) + more


def _make_sibling(target: Path, kind: str) -> Path:
    """Create a uniquely named hidden directory next to ``target``."""
    sibling = target.with_name(
        f'.{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}')
    try:
        sibling.parent.mkdir(parents=True, exist_ok=True)
        sibling.mkdir()
    except OSError as exc:
        # Plain OSError: a FileExistsError here is not about the output directory.
        reason = (f'{exc.filename} is not a directory'
                  if exc.errno == errno.EEXIST else str(exc))
        raise OSError(f'cannot write the phantom set to {target}: {reason}') from exc
    return sibling


def _move_into_place(staging: Path, target: Path, out_dir: Path,
                     replace: bool) -> None:
    """Rename the complete set to ``target``, replacing a checked old set."""
    if not replace:
        try:
            # Atomic; replaces an empty directory.
            os.rename(staging, target)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise _ConcurrentWrite(
                    f'{out_dir} was filled by another process while this one '
                    'was writing; nothing was overwritten') from exc
            raise
        return
    old = target.with_name(staging.name.replace('.partial-', '.replaced-'))
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old)
