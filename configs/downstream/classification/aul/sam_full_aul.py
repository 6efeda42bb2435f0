# SAM initialisation, full fine-tuning on AUL.
_base_ = ['../_base_/inits/sam.py', '../_base_/datasets/aul.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
