# CPU proof, (a) from scratch: the tiny encoder of `make demo`, randomly
# initialised, fine-tuned in full on the phantom echogenicity task. The other
# *_phantom.py configs change only the initialisation or the tuning method, so
# all run with this budget: 400 iterations of 16 images (16 epochs of the 400
# training images), AdamW 5e-4, validation every 100 iterations (best
# checkpoint by macro-F1).
#   python tools/train.py \
#       configs/downstream/classification/vitsam-t_scratch_full_phantom.py
#   python tools/test.py \
#       configs/downstream/classification/vitsam-t_scratch_full_phantom.py \
#       work_dirs/vitsam-t_scratch_full_phantom/best_cls_macro_f1_iter_*.pth
_base_ = ['./_base_/models/vitsam-t.py', './_base_/datasets/phantom.py']

model = dict(head=dict(num_classes=3))

max_iters = 400
optim_wrapper = dict(
    optimizer=dict(lr=5e-4, weight_decay=1e-4), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=40),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        eta_min=1e-6),
]
train_cfg = dict(max_iters=max_iters, val_interval=100)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100),
    results=dict(init='scratch'))
log_processor = dict(window_size=20)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
