# The original release's Mask2Former for comparison: no neck, the outputs of
# the four global-attention blocks (2, 5, 8, 11) of ViT-SAM-B, all at stride 16
# (so masks come at 1/16 resolution), as the head's four inputs.
_base_ = './mask2former_vitsam-b.py'

model = dict(
    backbone=dict(out_indices=(2, 5, 8, 11)),
    neck=None,
    panoptic_head=dict(in_channels=[768] * 4, strides=[16] * 4))
