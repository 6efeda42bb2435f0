# MedSAM initialisation, full fine-tuning on fatty liver (Byra et al.).
_base_ = ['../_base_/inits/medsam.py', '../_base_/datasets/fatty_liver.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
