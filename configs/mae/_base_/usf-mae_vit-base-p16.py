# MAE ViT-B/16 at 224 (mmpretrain's recipe: mask ratio 0.75, decoder 512 dims x 8
# blocks x 16 heads) with USF-MAE's loss on raw pixels (norm_pix=False, the
# upstream default) and ImageNet normalisation. Built by mmpretrain
# (`_scope_='mmpretrain'`; MAE, MAEViT, MAEPretrainDecoder, MAEPretrainHead,
# PixelReconstructionLoss, SelfSupDataPreprocessor are mmpretrain's).
_base_ = 'mmpretrain::_base_/models/mae_vit-base-p16.py'

model = dict(
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(img_size=224),
    neck=dict(num_patches=(224 // 16)**2),
    head=dict(norm_pix=False))
