# The CPU quickstart model tested with the ground-truth box of every instance.
_base_ = './ultrasam_vitt_phantom.py'

test_dataloader = dict(dataset=dict(pipeline={{_base_.test_box_pipeline}}))
