_base_ = ['./ultrasam_vitb_zeroshot_point-refine.py', '../../_base_/datasets/zero_shot_roots.py']

test_dataloader = dict(dataset=dict(data_root={{_base_.gist514db_root}}))
