_base_ = ['./ultrasam_vitb_zeroshot_box.py', '../../_base_/datasets/zero_shot_roots.py']

test_dataloader = dict(dataset=dict(data_root={{_base_.mmotu2d_root}}))
