"""User-facing inference API: the predictor, automatic masks, interactive
sessions, cine-loop propagation and ONNX export (the web app is ``ultrasam.apis.web_app``, which needs
``requirements/demo.txt``)."""
from .automatic_mask_generator import UltraSamAutomaticMaskGenerator
from .coco_export import coco_dataset, mask_annotation, mask_to_rle, rle_to_mask
from .embedding_cache import ImageEmbeddingCache
from .interactive_session import InteractiveSession
from .onnx_export import export_onnx
from .onnx_predictor import OnnxUltraSamPredictor
from .predictor import UltraSamPredictor
from .propagation import PropagationResult, mask_prompts, propagate

__all__ = [
    'UltraSamPredictor', 'UltraSamAutomaticMaskGenerator',
    'ImageEmbeddingCache', 'InteractiveSession', 'OnnxUltraSamPredictor',
    'export_onnx', 'coco_dataset', 'mask_annotation', 'mask_to_rle',
    'rle_to_mask', 'PropagationResult', 'mask_prompts', 'propagate'
]
