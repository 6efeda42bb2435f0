# CPU proof, Mask2Former: the tiny encoder of `make demo`, randomly
# initialised, with SimpleFPN and a small Mask2Former head, trained on the
# 3-class phantom lesion task (hypo- / an- / hyperechoic lesions).
#   python tools/train.py \
#       configs/downstream/segmentation/vitsam-t_mask2former_scratch_phantom.py
#   python tools/test.py \
#       configs/downstream/segmentation/vitsam-t_mask2former_scratch_phantom.py \
#       work_dirs/vitsam-t_mask2former_scratch_phantom/best_*.pth \
#       --show-dir overlays
_base_ = [
    './_base_/models/mask2former_vitsam-t.py',
    './_base_/datasets/phantom.py',
    './_base_/schedules/phantom_1k.py',
]

model = dict(**_base_.mask2former_classes)
default_hooks = dict(logger=dict(interval=20))
log_processor = dict(window_size=20)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
