"""The original release's equal-stride Mask2Former (four stride-16 maps, no
neck) trains and predicts: a loss step and a prediction at the original size,
with the encoder shrunk to a tiny one."""
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks

SEG = Path(__file__).parents[2] / 'configs' / 'downstream' / 'segmentation'


def test_equal_stride_mask2former_loss_and_predict():
    cfg = Config.fromfile(
        str(SEG / 'mmotu2d' / 'mask2former-original_sam_mmotu2d.py'))
    assert cfg.model.backbone.out_indices == (2, 5, 8, 11)
    assert cfg.model.neck is None
    assert cfg.model.panoptic_head.strides == [16] * 4
    cfg.model.backbone.update(
        arch=dict(embed_dims=32, num_layers=4, num_heads=2,
                  feedforward_channels=64, global_attn_indexes=[1, 3]),
        img_size=128, window_size=4, out_indices=(0, 1, 2, 3), init_cfg=None)
    cfg.model.panoptic_head.in_channels = [32] * 4
    cfg.model.panoptic_head.num_queries = 10
    cfg.model.test_cfg.max_per_image = 10
    cfg.model.panoptic_head.pixel_decoder.encoder.num_layers = 1
    cfg.model.panoptic_head.transformer_decoder.num_layers = 3
    cfg.model.data_preprocessor.pad_size_divisor = 128
    cfg.model.train_cfg.num_points = 256
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    mask = np.zeros((1, 100, 128), bool)
    mask[0, 20:60, 30:90] = True
    sample = DetDataSample(metainfo=dict(
        img_shape=(100, 128), ori_shape=(100, 128), scale_factor=(1., 1.),
        batch_input_shape=(128, 128), pad_shape=(128, 128)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[30., 20., 90., 60.]]),
        labels=torch.tensor([7]), masks=BitmapMasks(mask, 100, 128))
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 100, 128), dtype=torch.uint8)],
             data_samples=[sample]), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        pred = model.predict(data['inputs'], data['data_samples'])[0]
    assert pred.pred_instances.masks.shape[1:] == (100, 128)
    assert int(pred.pred_instances.labels.max()) < 8
