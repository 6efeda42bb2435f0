# The published USF-MAE recipe on GPU: continued from ImageNet MAE weights, bf16
# mixed precision (no loss scaling needed for bf16). AmpOptimWrapper needs a GPU.
_base_ = './usf-mae_vit-base-p16_224_us43d_in1k-mae-init.py'

optim_wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16')
