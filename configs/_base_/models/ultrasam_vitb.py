# UltraSam with a SAM ViT-B image encoder (1024 input, 64x64 embedding).
# Weights: tools/model_converters/sam_to_ultrasam.py converts the official
# segment-anything sam_vit_b_01ec64.pth (or MedSAM) for this model.
_base_ = './sam_vit-b_encoder.py'

img_size = _base_.img_size
embed_dims = 256

model = dict(
    type='UltraSam',
    backbone=dict(out_channels=embed_dims),
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
