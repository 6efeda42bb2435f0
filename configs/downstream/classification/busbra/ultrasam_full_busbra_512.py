# UltraSam initialisation, full fine-tuning on BUS-BRA at 512 x 512
# (longest side 512; the pretrained position embeddings are resized).
_base_ = './ultrasam_full_busbra.py'

model = dict(
    data_preprocessor=dict(size=512), backbone=dict(img_size=512))
