# Mask R-CNN on the tiny CPU encoder of `make demo` (2-layer 96-d ViT-SAM at
# 256 x 256) with a 64-d SimpleFPN (strides 4-64) and lighter RoI heads and
# sampling (fewer proposals, 2 mask convolutions).
_base_ = './mask-rcnn_vitsam-b.py'

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
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(num_convs=2, in_channels=64, conv_out_channels=64)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=128)),
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100),
        rcnn=dict(max_per_img=20)))
