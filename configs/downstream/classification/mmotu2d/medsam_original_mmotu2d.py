# MedSAM initialisation on MMOTU-2D with the original release's head: a
# multi-label (sigmoid) linear head with focal loss on single-label data. The
# metric scores the arg-max of its scores like the softmax head's.
_base_ = './medsam_full_mmotu2d.py'

model = dict(
    head=dict(
        _delete_=True,
        type='MultiLabelLinearClsHead',
        num_classes={{_base_.num_classes}},
        in_channels=768,
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
default_hooks = dict(results=dict(tuning='original'))
