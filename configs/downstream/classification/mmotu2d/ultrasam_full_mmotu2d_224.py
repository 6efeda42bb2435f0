# UltraSam initialisation, full fine-tuning on MMOTU-2D at 224 x 224
# (longest side 224; the pretrained position embeddings are resized).
_base_ = './ultrasam_full_mmotu2d.py'

model = dict(
    data_preprocessor=dict(size=224), backbone=dict(img_size=224))
