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
# mmpretrain.LoRAModel settings of the *_lora_* configs (the paper's: rank 16,
# alpha 16, dropout 0.1 on every attention qkv projection), which wrap their
# encoder: backbone=dict(_delete_=True, type='LoRAModel',
# module=_base_.model.backbone, **_base_.lora).
lora = dict(alpha=16, rank=16, drop_rate=0.1, targets=[dict(type='qkv')])
# The original release's head (the *_original_* configs): multi-label sigmoid
# outputs with focal loss, on single-label data.
original_head = dict(
    type='MultiLabelLinearClsHead',
    in_channels=768,
    loss=dict(type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0))
