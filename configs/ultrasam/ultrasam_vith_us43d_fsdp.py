# The ViT-H recipe with parameters, gradients and optimizer state sharded across GPUs
# (MMEngine FlexibleRunner + FSDPStrategy); needs GPUs with NCCL:
#   tools/dist_train.sh configs/ultrasam/ultrasam_vith_us43d_fsdp.py 8
_base_ = './ultrasam_vith_us43d.py'

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        use_orig_params=True,
        # Each ViT block (mmpretrain vit_sam.TransformerEncoderLayer, ~20M
        # parameters in ViT-H) is its own FSDP unit; the rest is the root unit.
        auto_wrap_policy=dict(type='vit_sam_block_wrap_policy')),
    # One consolidated state dict on rank 0, loadable without FSDP.
    state_dict_cfg='full')
# FlexibleRunner builds the wrapper from `strategy`, not from model_wrapper_cfg.
model_wrapper_cfg = None
# Each rank holds a shard of every gradient: clip_grad (inherited max_norm=0.1)
# must use the norm all-reduced over ranks, not each shard's own norm.
optim_wrapper = dict(type='ShardedGradClipOptimWrapper')
