# MAE initialisation, full fine-tuning on GIST514-DB.
_base_ = ['../_base_/inits/mae.py', '../_base_/datasets/gist514db.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
