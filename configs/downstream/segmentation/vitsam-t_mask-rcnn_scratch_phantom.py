# CPU proof, Mask R-CNN: the tiny encoder of `make demo`, randomly
# initialised, with SimpleFPN and light Mask R-CNN heads, on the 3-class
# phantom lesion task; the same data and budget as
# vitsam-t_mask2former_scratch_phantom.py.
_base_ = [
    './_base_/models/mask-rcnn_vitsam-t.py',
    './_base_/datasets/phantom.py',
    './_base_/schedules/phantom_1k.py',
]

model = dict(**_base_.mask_rcnn_classes)
default_hooks = dict(logger=dict(interval=20))
log_processor = dict(window_size=20)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
