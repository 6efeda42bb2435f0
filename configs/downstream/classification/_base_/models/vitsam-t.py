# The tiny CPU encoder of `make demo` (2-layer 96-d ViT-SAM at 256 x 256, the
# encoder of configs/_base_/models/ultrasam_vitt.py; a test checks they agree)
# as a classifier: average-pooled 96-d features, linear head.
_base_ = './vitsam-b.py'

img_size = 256
model = dict(
    data_preprocessor=dict(size=img_size),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=96,
            num_layers=2,
            num_heads=4,
            feedforward_channels=384,
            global_attn_indexes=[1]),
        img_size=img_size,
        window_size=8),
    head=dict(in_channels=96))
