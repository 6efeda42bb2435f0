# CPU proof, Mask R-CNN from UltraSam: vitsam-t_mask-rcnn_scratch_phantom.py
# with the encoder initialised from the tiny UltraSam of `make demo`
# (work_dirs/demo/train/iter_1200.pth, its backbone.* weights).
_base_ = './vitsam-t_mask-rcnn_scratch_phantom.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='work_dirs/demo/train/iter_1200.pth')))
default_hooks = dict(results=dict(init='UltraSam (make demo)'))
