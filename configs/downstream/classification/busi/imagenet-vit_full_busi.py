# ImageNet ViT-B/16 initialisation, full fine-tuning on BUSI.
_base_ = ['../_base_/inits/imagenet-vit.py', '../_base_/datasets/busi.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
