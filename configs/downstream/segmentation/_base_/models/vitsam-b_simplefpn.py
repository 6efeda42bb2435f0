# The ViT-SAM-B encoder of SAM / MedSAM / UltraSam (FastViTSAM, same weights as
# mmpretrain's ViTSAM) with ViTDet's SimpleFPN: the last block's stride-16 map
# (768-d) resampled to strides 4, 8, 16 and 32 (256-d). Input like SAM:
# longest side 1024, padded square, SAM's mean / std, BGR -> RGB. The detector
# bases (mask2former_vitsam-b.py, mask-rcnn_vitsam-b.py) add the model type and
# heads; a leaf sets the encoder weights (backbone.init_cfg, ../inits/).
_base_ = ['../default_runtime.py', '../inits/encoders.py']

img_size = 1024
model = dict(
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=img_size,
        pad_mask=True),
    backbone=dict(
        type='FastViTSAM',
        arch='base',
        img_size=img_size,
        patch_size=16,
        window_size=14,
        out_channels=0,
        out_indices=(11, ),
        out_type='featmap',
        use_abs_pos=True,
        use_rel_pos=True,
        drop_path_rate=0.1),
    neck=dict(
        type='SimpleFPN',
        in_channels=768,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5)))
