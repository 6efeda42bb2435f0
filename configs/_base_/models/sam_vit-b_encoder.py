# SAM's ViT-B image encoder (the weights of segment-anything, MedSAM and
# UltraSam) and SAM's input: images resized to a longest side of img_size and
# padded to exactly that square, SAM's mean / std, BGR -> RGB. The encoder is
# FastViTSAM: mmpretrain's ViTSAM (same weights) with fused SDPA attention;
# add with_cp=True for activation checkpointing when GPU memory is short.
# UltraSam (./ultrasam_vitb.py) and the downstream segmentation detectors
# (downstream/segmentation/_base_/models/vitsam-b_simplefpn.py) build on it.
img_size = 1024

model = dict(
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=img_size),
    backbone=dict(
        type='FastViTSAM',
        arch='base',
        img_size=img_size,
        patch_size=16,
        window_size=14,
        use_abs_pos=True,
        use_rel_pos=True))
