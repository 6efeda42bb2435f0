"""Image geometry read from data-sample metainfo."""
from typing import Tuple


def content_shape(img_meta: dict,
                  default: Tuple[int, int]) -> Tuple[int, int]:
    """(h, w) of the resized image inside the model input, without padding.

    mmdet's ``Pad`` transform sets ``img_shape`` to the padded size, so the
    resized size ``ori_shape x scale_factor`` bounds it too (a crop after the
    resize makes ``img_shape`` the smaller one).

    Args:
        img_meta (dict): Metainfo with ``img_shape`` and optionally
            ``ori_shape`` and ``scale_factor``.
        default (tuple[int, int]): (h, w) when ``img_shape`` is absent.

    Returns:
        tuple[int, int]: (h, w) of the image content.
    """
    h, w = img_meta.get('img_shape', default)[:2]
    if 'ori_shape' in img_meta and 'scale_factor' in img_meta:
        ori_h, ori_w = img_meta['ori_shape'][:2]
        scale_w, scale_h = img_meta['scale_factor'][:2]
        h = min(h, int(round(ori_h * scale_h)))
        w = min(w, int(round(ori_w * scale_w)))
    return h, w
