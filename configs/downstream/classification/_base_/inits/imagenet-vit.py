# ImageNet ViT-B/16 initialisation: a timm ViT-B/16 checkpoint converted to
# ViT-SAM encoder weights (position embedding resized to 64 x 64 patches,
# relative-position tables zero, class token / final norm / head dropped):
#   python tools/model_converters/vit_to_vitsam.py \
#       vit_base_patch16_224.augreg2_in21k_ft_in1k.pth \
#       checkpoints/vit-b16_imagenet_vitsam.pth --img-size 1024
# (The original release set no prefix here, so nothing loaded.) Inputs use
# the ImageNet mean / std; timm's augreg ViTs were trained with 127.5 / 127.5:
# set model.data_preprocessor mean / std to match yours.
_base_ = '../models/vitsam-b.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='checkpoints/vit-b16_imagenet_vitsam.pth')))
default_hooks = dict(results=dict(init='ImageNet ViT'))
