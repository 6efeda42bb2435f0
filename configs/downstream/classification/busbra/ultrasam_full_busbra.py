# UltraSam initialisation, full fine-tuning on BUS-BRA.
_base_ = ['../_base_/inits/ultrasam.py', '../_base_/datasets/busbra.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
