# MedSAM initialisation on GIST514-DB with the original release's head: a
# multi-label (sigmoid) linear head with focal loss on single-label data
# (MultiLabelLinearClsHead); the metric scores the arg-max of its scores.
_base_ = './medsam_full_gist514db.py'

model = dict(head=dict(
    _delete_=True, num_classes={{_base_.num_classes}}, **_base_.original_head))
default_hooks = dict(results=dict(tuning='original'))
