# CPU proof, (c) from MAE: the same run as vitsam-t_scratch_full_phantom.py
# with the encoder initialised from the tiny MAE of issue 12
# (configs/mae/mae_vit-tiny-p16_phantom.py: 96-d, 2 layers, 4 heads, patch 16,
# pretrained on the seed-0 phantoms at 128 px), converted to ViT-SAM weights:
#   python tools/model_converters/convert_mae.py \
#       work_dirs/mae_vit-tiny-p16_phantom/iter_2000.pth \
#       work_dirs/mae_phantom/mae_vit-tiny-p16_phantom_vitsam.pth --to vit-sam \
#       --config configs/ultrasam/ultrasam_vitt_phantom.py
_base_ = './vitsam-t_scratch_full_phantom.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained,
    checkpoint='work_dirs/mae_phantom/mae_vit-tiny-p16_phantom_vitsam.pth')))
default_hooks = dict(results=dict(init='MAE'))
