"""Visualizer drawing prompts with ground-truth and predicted masks."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmengine.structures import InstanceData

from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import bitmap_to_polygon
from mmdet.visualization import DetLocalVisualizer
from ..evaluation import masks_to_numpy
from ..structures import PromptType
from ..utils import to_numpy

_BOX_TYPES = (PromptType.BOX, PromptType.POINT_AND_BOX)
_WRITABLE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
# Instance colours (RGB), cycled; no pure green or red, the colours of points.
_INSTANCE_COLORS = ((31, 119, 180), (255, 127, 14), (148, 103, 189),
                    (23, 190, 207), (227, 119, 194), (188, 189, 34),
                    (140, 86, 75), (255, 221, 0), (127, 127, 127), (0, 64,
                                                                    255))

Color = Tuple[int, int, int]


@VISUALIZERS.register_module()
class PromptVisualizer(DetLocalVisualizer):
    """Draw the prompts a model received with the ground-truth and predicted masks.

    Drop-in for :class:`mmdet.visualization.DetLocalVisualizer` (used by
    ``DetVisualizationHook``, hence ``tools/test.py --show-dir``, and by
    ``tools/analysis_tools/browse_dataset.py``). The ground truth is drawn on the
    left and the prediction on the right, with the same colour per instance in
    both; on both sides the prompt actually used is drawn: positive points in
    ``positive_color``, negative points in ``negative_color`` (padding points are
    not drawn) and, for ``BOX`` / ``POINT_AND_BOX`` instances, the prompt box
    dashed. Predictions are annotated with their score (predicted IoU).

    Two image frames are handled: when the sample carries predictions the image is
    expected at the original resolution (as the hook loads it) and the prompts,
    which are in the network-input frame, are mapped back through
    ``scale_factor`` and ``flip``; otherwise the image may also be the network
    input (as ``browse_dataset.py`` passes it), recognised by its shape.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        image (np.ndarray, optional): RGB image to draw on. Defaults to None.
        vis_backends (list[dict], optional): Visual backend configs.
        save_dir (str, optional): Directory of the storage backends.
        mask_color (tuple[int], optional): RGB colour of all masks and boxes;
            by default each instance gets its own colour.
        line_width (int | float): Width of box and contour lines. Defaults to 2.
        alpha (float): Mask opacity. Defaults to 0.5.
        positive_color (tuple[int]): RGB colour of positive points.
            Defaults to green.
        negative_color (tuple[int]): RGB colour of negative points.
            Defaults to red.
        point_size (float, optional): Marker area of points in points**2; by
            default it grows with the image size.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 mask_color: Optional[Color] = None,
                 line_width: Union[int, float] = 2,
                 alpha: float = 0.5,
                 positive_color: Color = (0, 255, 0),
                 negative_color: Color = (255, 0, 0),
                 point_size: Optional[float] = None) -> None:
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir,
            mask_color=mask_color,
            line_width=line_width,
            alpha=alpha)
        self.positive_color = tuple(positive_color)
        self.negative_color = tuple(negative_color)
        self.point_size = point_size

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[DetDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.,
                       step: int = 0) -> None:
        """Draw a sample and show it, write it to ``out_file`` or to the backends.

        Args:
            name (str): Image identifier.
            image (np.ndarray): RGB image, original or network-input frame.
            data_sample (DetDataSample, optional): Sample with ``gt_instances``
                (masks and prompts) and optionally ``pred_instances``.
            draw_gt (bool): Draw the ground-truth panel. Defaults to True.
            draw_pred (bool): Draw the prediction panel. Defaults to True.
            show (bool): Display the result in a window. Defaults to False.
            wait_time (float): Display time in seconds. Defaults to 0.
            out_file (str, optional): Output image path; a suffix OpenCV cannot
                write (e.g. ``.dcm``) is replaced by ``.png`` and a DICOM frame
                index is appended. Defaults to None.
            pred_score_thr (float): Hide predictions scoring below this.
                Defaults to 0.
            step (int): Global step for the backends. Defaults to 0.
        """
        image = image.clip(0, 255).astype(np.uint8)
        panels = []
        if data_sample is not None:
            gt = data_sample.get('gt_instances', InstanceData())
            pred = data_sample.get('pred_instances')
            original = self._is_original_frame(image, data_sample, pred)
            prompts = self._prompts(gt, data_sample, original)
            colors = self._instance_colors(len(gt))
            if draw_gt and 'gt_instances' in data_sample:
                masks = (
                    self._gt_masks_original(gt, data_sample)
                    if original else masks_to_numpy(gt.masks))
                panels.append(self._draw_panel(image, masks, prompts, colors))
            if draw_pred and pred is not None:
                masks = masks_to_numpy(pred.masks)
                if masks.shape[1:] != image.shape[:2]:
                    raise ValueError(
                        f'{name}: predicted masks are {masks.shape[1:]} but '
                        f'the image is {image.shape[:2]}; predictions are '
                        'drawn on the original image')
                scores = to_numpy(pred.scores, np.float64)
                keep = np.flatnonzero(scores >= pred_score_thr)
                if len(masks) != len(prompts):
                    # Not one prediction per prompt: draw the masks alone.
                    prompts = [None] * len(masks)
                    colors = self._instance_colors(len(masks))
                panels.append(
                    self._draw_panel(image, masks[keep],
                                     [prompts[i] for i in keep],
                                     [colors[i] for i in keep],
                                     [f'{scores[i]:.2f}' for i in keep]))
        drawn = np.concatenate(panels, axis=1) if panels else image
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1],
                         self._writable_path(out_file, data_sample))
        else:
            self.add_image(name, drawn, step)

    @staticmethod
    def _is_original_frame(image: np.ndarray, data_sample: DetDataSample,
                           pred: Optional[InstanceData]) -> bool:
        """Whether ``image`` is at the original resolution (vs network input)."""
        shape = tuple(image.shape[:2])
        ori_shape = tuple(data_sample.get('ori_shape', shape))
        img_shape = tuple(data_sample.get('img_shape', shape))
        if shape not in (ori_shape, img_shape):
            raise ValueError(f'image of shape {shape} is neither the original '
                             f'{ori_shape} nor the network input {img_shape}')
        # Predictions are always at the original resolution, so is the image.
        return pred is not None or shape != img_shape

    def _prompts(self, gt: InstanceData, data_sample: DetDataSample,
                 original: bool) -> List[dict]:
        """Per instance: positive / negative points and box, in the image frame."""
        num = len(gt)
        if num == 0:
            # Without instances the point layout is unknown: reshape(0, -1, 2)
            # is ambiguous.
            return []
        coords = (
            to_numpy(gt.point_coords, np.float64).reshape(num, -1, 2)
            if 'point_coords' in gt else np.zeros((num, 0, 2)))
        labels = (
            to_numpy(gt.point_labels).reshape(num, -1)
            if 'point_labels' in gt else np.zeros((num, 0)))
        boxes = (
            to_numpy(gt.prompt_boxes, np.float64).reshape(num, 4)
            if 'prompt_boxes' in gt else None)
        types = (
            to_numpy(gt.prompt_types).reshape(num)
            if 'prompt_types' in gt else np.full(num, PromptType.POINT))
        if original:
            coords = _points_to_original(coords, data_sample)
            if boxes is not None:
                corners = _points_to_original(
                    boxes.reshape(num, 2, 2), data_sample)
                boxes = np.concatenate(
                    [corners.min(axis=1),
                     corners.max(axis=1)], axis=1)
        prompts = []
        for i in range(num):
            use_box = boxes is not None and types[i] in _BOX_TYPES
            prompts.append(
                dict(
                    positive=coords[i][labels[i] == 1],
                    negative=coords[i][labels[i] == 0],
                    box=boxes[i] if use_box else None))
        return prompts

    def _instance_colors(self, num: int) -> List[Color]:
        if self.mask_color is not None:
            return [tuple(self.mask_color)] * num
        return [
            _INSTANCE_COLORS[i % len(_INSTANCE_COLORS)] for i in range(num)
        ]

    @staticmethod
    def _gt_masks_original(gt: InstanceData,
                           data_sample: DetDataSample) -> np.ndarray:
        """Ground-truth masks at the original resolution."""
        if 'ori_masks' in gt:
            return masks_to_numpy(gt.ori_masks)
        # Approximation for display only: undo padding, resizing and flipping.
        masks = masks_to_numpy(gt.masks).astype(np.uint8)
        ori_h, ori_w = data_sample.ori_shape
        scale_w, scale_h = data_sample.get('scale_factor', (1., 1.))
        crop_h, crop_w = round(ori_h * scale_h), round(ori_w * scale_w)
        restored = np.stack([
            mmcv.imresize(
                mask[:crop_h, :crop_w], (ori_w, ori_h),
                interpolation='nearest') for mask in masks
        ]) if len(masks) else np.zeros((0, ori_h, ori_w), np.uint8)
        if data_sample.get('flip', False):
            restored = np.stack([
                mmcv.imflip(mask, data_sample.flip_direction)
                for mask in restored
            ]) if len(restored) else restored
        return restored.astype(bool)

    def _draw_panel(self,
                    image: np.ndarray,
                    masks: np.ndarray,
                    prompts: Sequence[Optional[dict]],
                    colors: Sequence[Color],
                    texts: Optional[Sequence[str]] = None) -> np.ndarray:
        """One panel: masks with contours, prompts and optional texts."""
        self.set_image(image)
        if len(masks):
            self.draw_binary_masks(
                masks, colors=list(colors), alphas=self.alpha)
            for mask, color in zip(masks, colors):
                contours, _ = bitmap_to_polygon(mask)
                if contours:
                    self.draw_polygons(
                        contours,
                        edge_colors=color,
                        line_widths=self.line_width)
        size = (
            self.point_size if self.point_size is not None else max(
                20., (max(image.shape[:2]) / 25.)**2))
        for i, prompt in enumerate(prompts):
            if prompt is None:
                continue
            if prompt['box'] is not None:
                # Box prompts hold first / last pixel indices: outline the pixels.
                self.draw_bboxes(
                    prompt['box'] + np.array([0, 0, 1, 1]),
                    edge_colors=colors[i],
                    line_styles='--',
                    line_widths=self.line_width)
            for key, color, marker in (('positive', self.positive_color, 'o'),
                                       ('negative', self.negative_color, 'X')):
                if len(prompt[key]):
                    # Point (x, y) is a pixel index; its centre is at +0.5.
                    self.ax_save.scatter(
                        prompt[key][:, 0] + 0.5,
                        prompt[key][:, 1] + 0.5,
                        s=size,
                        c=[np.array(color) / 255.],
                        marker=marker,
                        edgecolors='black',
                        linewidths=1,
                        zorder=3)
        if texts:
            for mask, text, color in zip(masks, texts, colors):
                rows, cols = np.nonzero(mask)
                if len(rows):
                    self.draw_texts(
                        text,
                        np.array([cols.min(), rows.min()]),
                        colors=(255, 255, 255),
                        font_sizes=10,
                        vertical_alignments='bottom',
                        bboxes=[
                            dict(
                                facecolor=np.array(color) / 255.,
                                alpha=0.8,
                                pad=0.5,
                                edgecolor='none')
                        ])
        return self.get_image()

    @staticmethod
    def _writable_path(out_file: str,
                       data_sample: Optional[DetDataSample]) -> str:
        """``out_file`` with an image suffix and the DICOM frame index."""
        stem, suffix = osp.splitext(out_file)
        frame = data_sample.get('frame') if data_sample is not None else None
        if frame is not None:
            stem = f'{stem}_frame{frame}'
        if suffix.lower() not in _WRITABLE_SUFFIXES:
            suffix = '.png'
        return stem + suffix


def _points_to_original(points: np.ndarray,
                        data_sample: DetDataSample) -> np.ndarray:
    """Map ``(..., 2)`` pixel indices from the network-input frame to the original.

    Flip and resize commute on pixel centres, so the flip is undone in the
    original frame whether it happened before or after the resize.
    """
    scale_w, scale_h = data_sample.get('scale_factor', (1., 1.))
    ori_h, ori_w = data_sample.ori_shape
    mapped = (points + 0.5) / np.array([scale_w, scale_h]) - 0.5
    if data_sample.get('flip', False):
        direction = data_sample.get('flip_direction', 'horizontal')
        if direction in ('horizontal', 'diagonal'):
            mapped[..., 0] = ori_w - 1 - mapped[..., 0]
        if direction in ('vertical', 'diagonal'):
            mapped[..., 1] = ori_h - 1 - mapped[..., 1]
    return mapped
