# ImageNet ResNet-50 initialisation, full fine-tuning on POCUS.
_base_ = ['../_base_/inits/imagenet-resnet50.py', '../_base_/datasets/pocus.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
