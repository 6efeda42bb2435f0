# The ViT-SAM-B encoder of SAM / MedSAM / UltraSam and SAM's input
# (configs/_base_/models/sam_vit-b_encoder.py) with ViTDet's SimpleFPN: the
# last block's stride-16 map (768-d) resampled to strides 4, 8, 16 and 32
# (256-d). The detector bases (mask2former_vitsam-b.py, mask-rcnn_vitsam-b.py)
# add the model type and heads; a leaf sets the encoder weights
# (backbone.init_cfg, ../inits/).
_base_ = [
    '../default_runtime.py', '../inits/encoders.py',
    '../../../../_base_/models/sam_vit-b_encoder.py'
]

model = dict(
    data_preprocessor=dict(pad_mask=True),
    backbone=dict(
        out_channels=0,
        out_indices=(11, ),
        out_type='featmap',
        drop_path_rate=0.1),
    neck=dict(
        type='SimpleFPN',
        in_channels=768,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5)))
