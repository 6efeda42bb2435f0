# The package runtime (RNG states in checkpoints, gloo on CPU-only machines) for
# epoch-based MAE pretraining.
_base_ = '../../_base_/default_runtime.py'

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=1, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
# Every parameter gets a gradient at every step.
model_wrapper_cfg = dict(find_unused_parameters=False)
# Each rank draws its own masks and augmentations.
randomness = dict(seed=0, diff_rank_seed=True)
