"""Defaults and checks of UltraSam's ``train_cfg`` / ``test_cfg`` (single source)."""
from mmdet.utils import OptConfigType

# Training: the prompt, one corrective-click round, one mask-only round.
DEFAULT_TRAIN_CFG = dict(
    num_refine_rounds=2,
    multimask_output='auto',
    corrective_clicks=True,
    mask_only_rounds=1,
    max_instances_per_image=None)
DEFAULT_TEST_CFG = dict(
    num_refine_rounds=0,
    multimask_output='auto',
    corrective_clicks=False,
    mask_only_rounds=0,
    mask_threshold=0.0,
    instance_chunk_size=64)


def merge_rounds_cfg(name: str, defaults: dict, cfg: OptConfigType) -> dict:
    """``defaults`` updated by ``cfg``; unknown keys are an error."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(defaults)
    if unknown:
        raise KeyError(f'unknown {name} keys {sorted(unknown)}; valid keys: '
                       f'{sorted(defaults)}')
    merged = {**defaults, **cfg}
    if merged['multimask_output'] not in (True, False, 'auto'):
        raise ValueError(f"{name}.multimask_output must be True, False or "
                         f"'auto', got {merged['multimask_output']!r}")
    for key in ('num_refine_rounds', 'mask_only_rounds'):
        if merged[key] < 0:
            raise ValueError(f'{name}.{key} must be >= 0, got {merged[key]}')
    return merged
