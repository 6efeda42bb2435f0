# Mask2Former on the tiny CPU encoder of `make demo` (2-layer 96-d ViT-SAM at
# 256 x 256, the encoder of configs/_base_/models/ultrasam_vitt.py) with a
# 64-d SimpleFPN (strides 4-32: 64 x 64 to 8 x 8 maps) and a small head: 20
# queries, 2 pixel-decoder layers, 3 decoder layers, 2048 sampled points.
_base_ = './mask2former_vitsam-b.py'

img_size = 256
model = dict(
    data_preprocessor=dict(pad_size_divisor=img_size),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=96,
            num_layers=2,
            num_heads=4,
            feedforward_channels=384,
            global_attn_indexes=[1]),
        img_size=img_size,
        window_size=8,
        out_indices=(1, ),
        drop_path_rate=0.0),
    neck=dict(in_channels=96, out_channels=64),
    panoptic_head=dict(
        in_channels=[64] * 4,
        feat_channels=64,
        out_channels=64,
        num_queries=20,
        pixel_decoder=dict(
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=64, num_heads=4),
                    ffn_cfg=dict(embed_dims=64, feedforward_channels=256))),
            positional_encoding=dict(num_feats=32)),
        positional_encoding=dict(num_feats=32),
        transformer_decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=64, num_heads=4),
                cross_attn_cfg=dict(embed_dims=64, num_heads=4),
                ffn_cfg=dict(embed_dims=64, feedforward_channels=256)))),
    train_cfg=dict(num_points=2048),
    test_cfg=dict(max_per_image=20))
