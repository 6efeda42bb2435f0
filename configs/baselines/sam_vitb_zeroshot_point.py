# Baseline: vanilla SAM ViT-B evaluated exactly like UltraSam (point prompts).
# Convert segment-anything's sam_vit_b_01ec64.pth with
# tools/model_converters/sam_to_ultrasam.py; choose the test set with
# --cfg-options test_dataloader.dataset.data_root=data/zero_shot/busi/
_base_ = '../ultrasam/zero_shot/ultrasam_vitb_zeroshot_point.py'

load_from = 'checkpoints/sam_vit_b_01ec64_ultrasam.pth'
