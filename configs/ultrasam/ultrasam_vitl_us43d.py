# The US-43d recipe with a SAM ViT-L encoder (init from converted sam_vit_l_0b3195.pth).
_base_ = './ultrasam_vitb_us43d.py'

model = dict(backbone=dict(arch='large'))
load_from = 'checkpoints/sam_vit_l_0b3195_ultrasam.pth'
