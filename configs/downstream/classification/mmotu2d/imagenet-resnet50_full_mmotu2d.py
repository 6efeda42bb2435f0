# ImageNet ResNet-50 initialisation, full fine-tuning on MMOTU-2D.
_base_ = ['../_base_/inits/imagenet-resnet50.py', '../_base_/datasets/mmotu2d.py']

model = dict(head=dict(num_classes={{_base_.num_classes}}))
