# CPU proof, Mask2Former from UltraSam: vitsam-t_mask2former_scratch_phantom.py
# with the encoder initialised from the tiny UltraSam `make demo` trains on the
# seed-0 phantoms (work_dirs/demo/train/iter_1200.pth, its backbone.* weights).
_base_ = './vitsam-t_mask2former_scratch_phantom.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='work_dirs/demo/train/iter_1200.pth')))
default_hooks = dict(results=dict(init='UltraSam (make demo)'))
