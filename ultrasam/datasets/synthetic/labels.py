"""Image-level classification labels of a phantom set, derived from its COCO file.

The label of an image is the echogenicity (``lesion_type``) of its largest lesion
(by mask area; the first such annotation on a tie). It is a pure function of the
COCO annotations every phantom set already holds, so labelling writes nothing:
the set's bytes, its reuse check and ``--overwrite`` stay exactly as they are.
"""
from typing import Dict, List

from .config import LESION_TYPES

# Class index = position in this tuple.
PHANTOM_CLASSES = LESION_TYPES


def phantom_image_labels(coco: dict, ann_file: str = 'the COCO file'
                         ) -> List[Dict[str, object]]:
    """``file_name`` (relative to ``images/``) and class index of every image.

    Args:
        coco (dict): A phantom set's COCO annotation file, loaded.
        ann_file (str): Its path, for messages.

    Returns:
        list[dict]: ``{'file_name': ..., 'label': int}`` in image order.

    Raises:
        ValueError: An image without a lesion, or a lesion type outside
            :data:`PHANTOM_CLASSES`, naming the file and the image.
    """
    largest: Dict[object, dict] = {}
    for annotation in coco.get('annotations', []):
        kept = largest.get(annotation['image_id'])
        if kept is None or annotation['area'] > kept['area']:
            largest[annotation['image_id']] = annotation
    labelled = []
    for image in coco.get('images', []):
        lesion = largest.get(image['id'])
        if lesion is None:
            raise ValueError(f'{ann_file}: image {image["id"]} '
                             f'({image["file_name"]}) has no lesion to label')
        if lesion.get('lesion_type') not in PHANTOM_CLASSES:
            raise ValueError(
                f'{ann_file}: annotation {lesion.get("id")} has lesion_type '
                f'{lesion.get("lesion_type")!r}, expected one of '
                f'{PHANTOM_CLASSES}')
        labelled.append(dict(file_name=image['file_name'],
                             label=PHANTOM_CLASSES.index(lesion['lesion_type'])))
    return labelled
