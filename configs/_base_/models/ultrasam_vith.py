# UltraSam with a SAM ViT-H image encoder; everything else as ViT-B.
_base_ = './ultrasam_vitb.py'

model = dict(backbone=dict(arch='huge'))
