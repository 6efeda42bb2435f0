# Zero-shot test of the original UltraSam release weights, converted with
# tools/model_converters/ultrasam_release_to_ultrasam.py. That decoder added the
# MLP residual twice and its weights depend on it, so the flag reproduces it.
_base_ = './ultrasam_vitb_zeroshot_point.py'

model = dict(mask_decoder=dict(transformer=dict(double_mlp_residual=True)))
load_from = 'checkpoints/ultrasam_release.pth'
