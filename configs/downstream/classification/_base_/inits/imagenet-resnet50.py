# ImageNet ResNet-50 initialisation: MMPretrain's checkpoint (backbone.* keys),
# https://download.openmmlab.com/mmclassification/v0/resnet/
# resnet50_8xb32_in1k_20210831-ea4938fc.pth saved as the file below. A
# torchvision resnet50 file has the same names without the prefix: set
# prefix=None for it.
_base_ = '../models/resnet50.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='checkpoints/resnet50_8xb32_in1k_20210831-ea4938fc.pth')))
default_hooks = dict(results=dict(init='ImageNet ResNet-50'))
