"""Configs mix our package with mmdet / mmpretrain bases through ``_base_``."""
import textwrap

from mmengine.config import Config
from mmengine.registry import init_default_scope


def _write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_mmdet_package_base_builds(tmp_path):
    cfg_file = _write(tmp_path / 'mask_rcnn_ours.py', """
        _base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
        custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)
        default_scope = 'mmdet'
        model = dict(roi_head=dict(bbox_head=dict(num_classes=1),
                                   mask_head=dict(num_classes=1)),
                     backbone=dict(init_cfg=None))
        """)
    cfg = Config.fromfile(cfg_file)
    assert cfg.default_scope == 'mmdet'
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'  # inherited runtime
    init_default_scope(cfg.default_scope)
    from mmdet.registry import MODELS
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'MaskRCNN'
    assert model.roi_head.bbox_head.num_classes == 1


def test_mmpretrain_package_base_builds(tmp_path):
    cfg_file = _write(tmp_path / 'vit_ours.py', """
        _base_ = 'mmpretrain::_base_/models/vit-base-p16.py'
        custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)
        model = dict(backbone=dict(img_size=32, arch=dict(
            _delete_=True, embed_dims=32, num_layers=1, num_heads=2,
            feedforward_channels=64)),
            head=dict(num_classes=3, in_channels=32))
        """)
    cfg = Config.fromfile(cfg_file)
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    assert model.head.num_classes == 3
