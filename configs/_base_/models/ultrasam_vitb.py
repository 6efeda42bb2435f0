# UltraSam with a SAM ViT-B image encoder (1024 input, 64x64 embedding).
# Weights: tools/model_converters/sam_to_ultrasam.py converts the official
# segment-anything sam_vit_b_01ec64.pth (or MedSAM) for this model.
img_size = 1024
embed_dims = 256

model = dict(
    type='UltraSam',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        # Images are resized to longest side img_size: pad to exactly square.
        pad_size_divisor=img_size),
    # mmpretrain's ViTSAM (same weights) with fused SDPA attention; add
    # with_cp=True for activation checkpointing when GPU memory is short.
    backbone=dict(
        type='FastViTSAM',
        arch='base',
        img_size=img_size,
        patch_size=16,
        window_size=14,
        out_channels=embed_dims,
        use_abs_pos=True,
        use_rel_pos=True),
    prompt_encoder=dict(
        type='SamPromptEncoder',
        embed_dims=embed_dims,
        image_embedding_size=(img_size // 16, img_size // 16),
        input_image_size=(img_size, img_size),
        mask_in_channels=16),
    mask_decoder=dict(
        type='SamMaskDecoder',
        embed_dims=embed_dims,
        transformer=dict(
            type='TwoWayTransformer',
            depth=2,
            embed_dims=embed_dims,
            num_heads=8,
            mlp_dims=2048,
            attention_downsample_rate=2),
        num_multimask_outputs=3,
        iou_head_depth=3,
        iou_head_hidden_dims=256,
        # SAM's losses: focal x20 + dice on the selected mask, IoU MSE.
        loss_focal=dict(
            type='SamFocalLoss', alpha=0.25, gamma=2.0, loss_weight=20.0),
        loss_dice=dict(type='SamDiceLoss', eps=1.0, loss_weight=1.0),
        loss_iou=dict(type='SamIoULoss', loss_weight=1.0)),
    # Interactive rounds, output mode and thresholds: UltraSam's documented
    # defaults (ultrasam/models/ultrasam.py); override single keys here, e.g.
    # test_cfg=dict(num_refine_rounds=1).
    train_cfg=dict(),
    test_cfg=dict())
