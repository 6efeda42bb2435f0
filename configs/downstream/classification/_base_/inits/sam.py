# SAM initialisation: the image encoder of segment-anything's ViT-B, converted
#   python tools/model_converters/sam_to_ultrasam.py sam_vit_b_01ec64.pth \
#       checkpoints/sam_vit_b_01ec64_ultrasam.pth
_base_ = '../models/vitsam-b.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='checkpoints/sam_vit_b_01ec64_ultrasam.pth')))
default_hooks = dict(results=dict(init='SAM'))
