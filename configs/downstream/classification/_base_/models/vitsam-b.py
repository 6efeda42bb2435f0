# The ViT-SAM-B image encoder of SAM / MedSAM / UltraSam (also the target of the
# MAE and ImageNet ViT conversions): no neck, average-pooled 768-d features.
_base_ = './classifier.py'

model = dict(
    backbone=dict(
        type='ViTSAM',
        arch='base',
        img_size={{_base_.img_size}},
        patch_size=16,
        window_size=14,
        out_channels=0,
        out_type='avg_featmap',
        use_abs_pos=True,
        use_rel_pos=True),
    head=dict(in_channels=768))
# mmpretrain.LoRAModel settings of the LoRA configs (the paper's: rank 16,
# alpha 16, dropout 0.1 on every attention qkv projection); a LoRA config
# wraps its backbone: model=dict(backbone=dict(_delete_=True,
# type='LoRAModel', module=_base_.model.backbone, **_base_.lora)).
lora = dict(alpha=16, rank=16, drop_rate=0.1, targets=[dict(type='qkv')])
