# Zero-shot test of the original UltraSam release weights, converted with
# tools/model_converters/ultrasam_release_to_ultrasam.py. That decoder added the
# MLP residual twice and its weights depend on it, so the flag reproduces it; its
# prompt encoder had no half-pixel shift of the coordinates.
_base_ = './ultrasam_vitb_zeroshot_point.py'

model = dict(
    prompt_encoder=dict(coord_offset=0.0),
    mask_decoder=dict(transformer=dict(double_mlp_residual=True)))
load_from = 'checkpoints/ultrasam_release.pth'
