# Baseline: vanilla SAM ViT-B with ground-truth box prompts.
_base_ = '../ultrasam/zero_shot/ultrasam_vitb_zeroshot_box.py'

load_from = 'checkpoints/sam_vit_b_01ec64_ultrasam.pth'
