# Zero-shot test of UltraSam ViT-B with the ground-truth box of every instance.
_base_ = './ultrasam_vitb_zeroshot_point.py'

test_dataloader = dict(dataset=dict(pipeline={{_base_.test_box_pipeline}}))
