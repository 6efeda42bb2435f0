# Tiny UltraSam for CPU runs and tests: 256 input, 2-layer 96-d ViT encoder
# with a 64-channel neck, 64-d prompt encoder / decoder (16x16 embedding,
# 64x64 low-res masks). Not a SAM architecture: train it from scratch.
# patch_size=8 (32x32 embedding, 128x128 masks) segments small lesions
# better at about 3-4x the training cost.
_base_ = './ultrasam_vitb.py'

img_size = 256
patch_size = 16
embed_dims = 64

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
        patch_size=patch_size,
        window_size=8,
        out_channels=embed_dims),
    prompt_encoder=dict(
        embed_dims=embed_dims,
        image_embedding_size=(img_size // patch_size, img_size // patch_size),
        input_image_size=(img_size, img_size)),
    mask_decoder=dict(
        embed_dims=embed_dims,
        transformer=dict(embed_dims=embed_dims, num_heads=4, mlp_dims=256),
        iou_head_hidden_dims=64))
