# LoRA on the image encoder with the prompt encoder and mask decoder frozen
# (PartlyFrozenUltraSam): only the LoRA weights train.
_base_ = './ultrasam_vitb_us43d_lora.py'

model = dict(frozen=('prompt_encoder', 'mask_decoder'))
