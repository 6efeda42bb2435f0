# CPU version of ultrasam_vitb_us43d_lora-frozen-decoder.py: only the LoRA
# weights of the tiny encoder train.
_base_ = './ultrasam_vitt_phantom_lora.py'

model = dict(frozen=('prompt_encoder', 'mask_decoder'))
