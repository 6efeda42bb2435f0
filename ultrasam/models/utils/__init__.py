"""Prompt batching, training targets and click simulation for UltraSam."""
from .component_check import check_components_fit
from .corrective_clicks import sample_corrective_clicks
from .gt_masks import (ClickTargets, gt_masks_from_data_samples, pool_masks,
                       valid_click_cells)
from .img_meta import content_shape
from .pred_instances import instance_results
from .prompt_batch import (PromptBatch, describe_sample,
                           random_instance_subset)
from .rounds_cfg import DEFAULT_TEST_CFG, DEFAULT_TRAIN_CFG, merge_rounds_cfg

__all__ = [
    'ClickTargets', 'DEFAULT_TEST_CFG', 'DEFAULT_TRAIN_CFG', 'PromptBatch',
    'check_components_fit', 'content_shape', 'describe_sample',
    'gt_masks_from_data_samples', 'instance_results', 'merge_rounds_cfg',
    'pool_masks', 'random_instance_subset', 'sample_corrective_clicks',
    'valid_click_cells'
]
