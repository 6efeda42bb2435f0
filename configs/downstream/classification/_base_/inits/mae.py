# MAE initialisation: an MAE-pretrained ViT-B/16 (e.g. the ultrasound MAE of
# configs/mae/, issue 12) converted to ViT-SAM encoder weights (backbone.*
# keys: class token dropped, position embedding reshaped to the 64 x 64 grid,
# relative-position tables zero) by the MAE -> ViTSAM converter of
# tools/model_converters/, saved as the checkpoint below.
_base_ = '../models/vitsam-b.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='checkpoints/mae_vit-b16_vitsam.pth')))
default_hooks = dict(results=dict(init='MAE'))
