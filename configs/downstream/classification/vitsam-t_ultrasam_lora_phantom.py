# CPU proof, LoRA: mmpretrain.LoRAModel around the UltraSam-initialised tiny
# encoder (rank 16, alpha 16, dropout 0.1 on the qkv projections). The rest of
# the encoder is frozen; checkpoints hold only the LoRA and head weights (the
# encoder is rebuilt from its init_cfg checkpoint, which must stay in place).
# tools/model_converters/merge_lora.py writes a plain checkpoint for
# vitsam-t_ultrasam_full_phantom.py.
_base_ = './vitsam-t_ultrasam_full_phantom.py'

model = dict(backbone=dict(
    _delete_=True, type='LoRAModel', module=_base_.model.backbone, **_base_.lora))
default_hooks = dict(results=dict(tuning='lora'))
