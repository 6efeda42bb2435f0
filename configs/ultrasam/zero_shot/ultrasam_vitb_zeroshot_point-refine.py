# Point prompts plus one refinement round: the first pass's low-res logits are fed
# back as a mask prompt (the same mechanism as in training).
_base_ = './ultrasam_vitb_zeroshot_point.py'

model = dict(test_cfg=dict(num_refine_rounds=1))
