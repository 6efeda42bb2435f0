# MedSAM initialisation: the image encoder of MedSAM (ViT-B), converted
#   python tools/model_converters/sam_to_ultrasam.py medsam_vit_b.pth \
#       checkpoints/medsam_vit_b_ultrasam.pth
_base_ = '../models/vitsam-b.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='checkpoints/medsam_vit_b_ultrasam.pth')))
default_hooks = dict(results=dict(init='MedSAM'))
