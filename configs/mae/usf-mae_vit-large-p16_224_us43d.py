# The USF-MAE recipe with a ViT-L/16 encoder (1024 dims, 24 layers, 16 heads);
# same decoder (512 dims x 8 blocks) and schedule.
_base_ = './usf-mae_vit-base-p16_224_us43d.py'

model = dict(backbone=dict(arch='l'), neck=dict(embed_dim=1024))
