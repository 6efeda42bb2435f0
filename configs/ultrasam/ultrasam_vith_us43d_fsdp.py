# The ViT-H recipe with parameters, gradients and optimizer state sharded across GPUs
# (MMEngine FlexibleRunner + FSDPStrategy); needs GPUs with NCCL:
#   tools/dist_train.sh configs/ultrasam/ultrasam_vith_us43d_fsdp.py 8
_base_ = './ultrasam_vith_us43d.py'

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        use_orig_params=True,
        # Each ViT-H block (~20M parameters) becomes its own FSDP unit.
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(1e7))),
    # One consolidated state dict on rank 0, loadable without FSDP.
    state_dict_cfg='full')
# FlexibleRunner builds the wrapper from `strategy`, not from model_wrapper_cfg.
model_wrapper_cfg = None
