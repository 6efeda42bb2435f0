# UltraSam initialisation: the image encoder of an UltraSam checkpoint of this
# package (its backbone.* weights): the original release converted with
#   python tools/model_converters/ultrasam_release_to_ultrasam.py UltraSam.pth \
#       checkpoints/ultrasam_release.pth
# or your own US-43d training (e.g. work_dirs/ultrasam_vitb_us43d/best_*.pth).
_base_ = '../models/vitsam-b.py'

model = dict(backbone=dict(init_cfg=dict(
    _base_.pretrained, checkpoint='checkpoints/ultrasam_release.pth')))
default_hooks = dict(results=dict(init='UltraSam'))
