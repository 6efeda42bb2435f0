# Box prompts plus one refinement round (first-pass logits fed back as a mask prompt).
_base_ = './ultrasam_vitb_zeroshot_box.py'

model = dict(test_cfg=dict(num_refine_rounds=1))
