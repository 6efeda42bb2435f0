# The US-43d recipe with a SAM ViT-H encoder (init from converted sam_vit_h_4b8939.pth).
# ViT-H (632M parameters) at batch 8 needs sharding on most GPUs: see the README
# section "FSDP for ViT-H" (MMEngine FlexibleRunner + FSDPStrategy).
_base_ = './ultrasam_vitb_us43d.py'

model = dict(backbone=dict(arch='huge'))
load_from = 'checkpoints/sam_vit_h_4b8939_ultrasam.pth'
