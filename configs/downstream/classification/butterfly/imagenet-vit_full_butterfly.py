# ImageNet ViT-B/16 initialisation, full fine-tuning on Butterfly.
_base_ = ['../_base_/inits/imagenet-vit.py', '../_base_/datasets/butterfly.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
