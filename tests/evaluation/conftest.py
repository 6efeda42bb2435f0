import pytest
from mmengine.registry import init_default_scope

import ultrasam  # noqa: F401  registers the components


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')
