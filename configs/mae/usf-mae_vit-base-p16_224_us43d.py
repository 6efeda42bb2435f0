# USF-MAE pretraining recipe, ViT-B/16 at 224, from scratch, on the US-43d train
# split (+ extra folders, see _base_/unlabeled_us_224.py), BUS-BRA / MMOTU-2D /
# GIST514-DB held out. fp32: runs on CPU and GPU. USF-MAE itself continued from
# ImageNet MAE weights: see usf-mae_vit-base-p16_224_us43d_in1k-mae-init.py, and
# the *_bf16.py config for its bf16 GPU training.
_base_ = [
    './_base_/usf-mae_vit-base-p16.py',
    './_base_/unlabeled_us_224.py',
    './_base_/usf-mae_schedule.py',
    './_base_/mae_runtime.py',
]
