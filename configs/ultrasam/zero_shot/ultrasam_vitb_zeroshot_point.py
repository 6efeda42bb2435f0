# Zero-shot test of UltraSam ViT-B with one interior point per ground-truth instance
# (the point farthest from the mask boundary). Pick the data with a per-dataset config
# in this folder or `--cfg-options test_dataloader.dataset.data_root=DIR`:
#   python tools/test.py configs/ultrasam/zero_shot/ultrasam_vitb_zeroshot_point_busi.py CKPT
_base_ = [
    '../../_base_/models/ultrasam_vitb.py',
    '../../_base_/datasets/us_coco_prompt.py',
    '../../_base_/default_runtime.py',
]
# Test-only config: drop the training and validation parts of the dataset base.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
