# The US-43d recipe with LoRA on the image encoder (mmpretrain.LoRAModel, rank
# 16, alpha 16, dropout 0.1 on every qkv): the SAM ViT-B encoder stays frozen,
# the prompt encoder and mask decoder train. Every part starts from SAM, each
# through its own init_cfg (load_from would not reach the LoRA-wrapped
# encoder's renamed weights). Checkpoints hold the LoRA weights of the encoder
# and the whole decoder; tools/model_converters/merge_lora.py writes a plain
# checkpoint of configs/ultrasam/ultrasam_vitb_us43d.py. The trainable and
# total parameter counts are logged when training starts.
_base_ = '../ultrasam_vitb_us43d.py'

# Each part loads its own weights of this checkpoint.
init = dict(type='Pretrained', checkpoint='checkpoints/sam_vit_b_01ec64_ultrasam.pth')
load_from = None
model = dict(
    type='PartlyFrozenUltraSam',
    frozen=(),
    backbone=dict(
        _delete_=True,
        _scope_='mmpretrain',
        type='LoRAModel',
        # FastViTSAM is registered in mmdet's registry, not mmpretrain's.
        module=dict(_base_.model.backbone, _scope_='mmdet',
                    init_cfg=dict(init, prefix='backbone.')),
        alpha=16, rank=16, drop_rate=0.1, targets=[dict(type='qkv')]),
    prompt_encoder=dict(init_cfg=dict(init, prefix='prompt_encoder.')),
    mask_decoder=dict(init_cfg=dict(init, prefix='mask_decoder.')))
custom_hooks = [dict(type='RNGStateHook'), dict(type='ParameterCountHook')]
