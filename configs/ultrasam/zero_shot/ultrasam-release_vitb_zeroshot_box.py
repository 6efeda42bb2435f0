# The original UltraSam release weights with ground-truth box prompts.
_base_ = './ultrasam-release_vitb_zeroshot_point.py'

test_dataloader = dict(dataset=dict(pipeline={{_base_.test_box_pipeline}}))
