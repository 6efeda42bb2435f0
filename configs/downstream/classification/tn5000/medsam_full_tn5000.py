# MedSAM initialisation, full fine-tuning on TN5000.
_base_ = ['../_base_/inits/medsam.py', '../_base_/datasets/tn5000.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
