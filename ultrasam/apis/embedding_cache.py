"""Image embeddings of a predictor cached by pixel content, so that switching back
to an image or a DICOM frame does not run the image encoder again."""
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
import torch

from .predictor import UltraSamPredictor


@dataclass(frozen=True)
class ImageEmbedding:
    """What :meth:`UltraSamPredictor.set_image` computes for one image.

    Args:
        features (torch.Tensor): (1, C, h, w) image embedding.
        original_size (tuple[int, int]): (H, W) of the image.
        input_size (tuple[int, int]): (h, w) of the resized image inside the
            padded model input.
    """
    features: torch.Tensor
    original_size: Tuple[int, int]
    input_size: Tuple[int, int]


def image_key(image: np.ndarray) -> str:
    """Content key of an image: SHA-256 of its dtype, shape and pixels."""
    digest = hashlib.sha256(f'{image.dtype.str}{image.shape}'.encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()


class ImageEmbeddingCache:
    """``set_image`` for a predictor, remembering the last embeddings.

    The key is the image content (:func:`image_key`), not a file name: the
    same pixels uploaded twice (or a DICOM frame visited again) reuse the
    embedding, and different pixels never do. The least recently used entry
    is dropped when ``max_entries`` are held (a ViT-B embedding is 4 MiB).

    Args:
        predictor (UltraSamPredictor): The predictor whose model made (and
            will use) the embeddings.
        max_entries (int): Embeddings kept. Defaults to 16.
    """

    def __init__(self, predictor: UltraSamPredictor,
                 max_entries: int = 16) -> None:
        if max_entries < 1:
            raise ValueError(f'max_entries must be >= 1, got {max_entries}')
        self.predictor = predictor
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: 'OrderedDict[str, ImageEmbedding]' = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def set_image(self, image: np.ndarray, key: Optional[str] = None) -> bool:
        """Make ``image`` the predictor's current image.

        Args:
            image (np.ndarray): As for :meth:`UltraSamPredictor.set_image`.
            key (str, optional): :func:`image_key` of ``image`` when the
                caller already has it.

        Returns:
            bool: True when the embedding came from the cache (no encoder
            run).
        """
        key = image_key(image) if key is None else key
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            # The predictor's documented state after set_image; assigning it
            # is what set_image itself ends with.
            self.predictor.features = entry.features
            self.predictor.original_size = entry.original_size
            self.predictor.input_size = entry.input_size
            return True
        self.misses += 1
        self.predictor.set_image(image)
        self._entries[key] = ImageEmbedding(self.predictor.features,
                                            self.predictor.original_size,
                                            self.predictor.input_size)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return False
