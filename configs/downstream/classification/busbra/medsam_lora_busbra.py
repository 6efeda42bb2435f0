# MedSAM initialisation, LoRA on BUS-BRA: mmpretrain.LoRAModel (rank 16,
# alpha 16, dropout 0.1 on every qkv) around the frozen encoder. Checkpoints
# hold the LoRA and head weights; tools/model_converters/merge_lora.py merges
# them into a checkpoint of medsam_full_busbra.py.
_base_ = './medsam_full_busbra.py'

model = dict(backbone=dict(
    _delete_=True, type='LoRAModel', module=_base_.model.backbone, **_base_.lora))
default_hooks = dict(results=dict(tuning='lora'))
