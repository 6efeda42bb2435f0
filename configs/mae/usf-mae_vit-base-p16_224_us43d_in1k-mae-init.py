# USF-MAE as published: continued from Facebook's ImageNet MAE ViT-B/16
# (mae_pretrain_vit_base.pth, encoder only). Convert it first:
#   python tools/model_converters/convert_mae.py mae_pretrain_vit_base.pth \
#       checkpoints/mae_pretrain_vit_base_mmpretrain-mae.pth --to mae
# The encoder loads from it; the decoder (not in that release) starts from its
# initialisation, which MMEngine logs as missing keys `neck.*`.
# `load_from` (not a backbone init_cfg): MAEViT.init_weights would overwrite the
# loaded patch embedding and class token.
_base_ = './usf-mae_vit-base-p16_224_us43d.py'

load_from = 'checkpoints/mae_pretrain_vit_base_mmpretrain-mae.pth'
