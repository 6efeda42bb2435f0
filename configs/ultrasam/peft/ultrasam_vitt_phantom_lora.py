# CPU version of ultrasam_vitb_us43d_lora.py: the tiny phantom UltraSam with
# LoRA on its encoder, every part starting from the `make demo` checkpoint.
_base_ = '../ultrasam_vitt_phantom.py'

# Each part loads its own weights of this checkpoint.
init = dict(type='Pretrained', checkpoint='work_dirs/demo/train/iter_1200.pth')
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
