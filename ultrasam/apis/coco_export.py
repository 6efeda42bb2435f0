"""Predicted masks as COCO instance annotations (RLE), for tools and the web app."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils

#: The class-agnostic category of US-43d and the phantom sets.
OBJECT_CATEGORY = dict(id=1, name='object')


def mask_to_rle(mask: np.ndarray) -> Dict[str, object]:
    """COCO RLE of a 2-d boolean mask, ``counts`` as str (JSON-ready).

    Args:
        mask (np.ndarray): (H, W) bool (or 0 / 1) mask.

    Returns:
        dict: ``{'size': [H, W], 'counts': str}``.
    """
    if mask.ndim != 2:
        raise ValueError(f'mask must be 2-d (H, W), got shape {mask.shape}')
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def rle_to_mask(rle: Dict[str, object]) -> np.ndarray:
    """Inverse of :func:`mask_to_rle`: (H, W) bool mask."""
    counts = rle['counts']
    encoded = dict(size=list(rle['size']),
                   counts=counts.encode('ascii') if isinstance(counts, str)
                   else counts)
    return mask_utils.decode(encoded).astype(bool)


def mask_annotation(mask: np.ndarray,
                    image_id: int,
                    annotation_id: int,
                    score: Optional[float] = None,
                    category_id: int = OBJECT_CATEGORY['id'],
                    **extra: object) -> Dict[str, object]:
    """One COCO annotation of a non-empty mask.

    Args:
        mask (np.ndarray): (H, W) bool mask; must not be empty.
        image_id (int): ``id`` of the image entry.
        annotation_id (int): ``id`` of this annotation.
        score (float, optional): Predicted quality, stored as ``score``
            (COCO result-file convention).
        category_id (int): Category. Defaults to 1 (``object``).
        **extra: More keys stored as they are (e.g. ``predicted_iou``).

    Returns:
        dict: ``id``, ``image_id``, ``category_id``, ``segmentation`` (RLE),
        ``area``, ``bbox`` (x, y, w, h), ``iscrowd`` and the extras.
    """
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ValueError(f'annotation {annotation_id}: the mask is empty; '
                         'COCO has no box for an empty mask')
    x0, y0 = int(cols.min()), int(rows.min())
    annotation = dict(
        id=int(annotation_id),
        image_id=int(image_id),
        category_id=int(category_id),
        segmentation=mask_to_rle(mask),
        area=float(rows.size),
        bbox=[float(x0), float(y0), float(cols.max() - x0 + 1),
              float(rows.max() - y0 + 1)],
        iscrowd=0)
    if score is not None:
        annotation['score'] = float(score)
    annotation.update(extra)
    return annotation


def coco_dataset(images: Sequence[Dict[str, object]],
                 annotations: List[Dict[str, object]],
                 description: str) -> Dict[str, object]:
    """A complete COCO instance-segmentation dict with the ``object`` class.

    Args:
        images (Sequence[dict]): Image entries (``id``, ``file_name``,
            ``height``, ``width``, any extra keys).
        annotations (list[dict]): From :func:`mask_annotation`.
        description (str): ``info.description``.

    Returns:
        dict: ``info``, ``images``, ``annotations``, ``categories``.
    """
    image_ids = {image['id'] for image in images}
    orphans = [a['id'] for a in annotations if a['image_id'] not in image_ids]
    if orphans:
        raise ValueError(f'annotations {orphans} refer to no image entry')
    return dict(
        info=dict(description=description, generator='ultrasam.apis'),
        images=list(images),
        annotations=annotations,
        categories=[dict(OBJECT_CATEGORY)])
