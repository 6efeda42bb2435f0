"""tools/analysis_tools/browse_dataset.py draws sampled prompts for a dataset.

Its bad inputs are in ``tests/reliability/test_datasets.py``.
"""
import json
import os.path as osp

import cv2
import numpy as np

import ultrasam

REPO = osp.dirname(osp.dirname(ultrasam.__file__))


def test_browse_dataset_writes_one_png_per_image(tmp_path, load_script):
    (tmp_path / 'images').mkdir()
    image = (np.random.RandomState(0).rand(30, 40) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / 'images' / 'us.png'), image)
    coco = dict(
        images=[
            dict(id=i, file_name='us.png', height=30, width=40)
            for i in range(3)
        ],
        categories=[dict(id=1, name='object')],
        annotations=[
            dict(
                id=i,
                image_id=i,
                category_id=1,
                segmentation=[[5, 5, 25, 5, 25, 20, 5, 20]]) for i in range(3)
        ])
    (tmp_path / 'train.json').write_text(json.dumps(coco))
    base = osp.join(REPO, 'configs', '_base_', 'datasets', 'us_coco_prompt.py')
    config = tmp_path / 'browse.py'
    config.write_text(f"""
_base_ = {base!r}
custom_imports = dict(imports=['ultrasam'], allow_failed_imports=False)
default_scope = 'mmdet'
train_dataloader = dict(dataset=dict(
    data_root={str(tmp_path)!r}, ann_file='train.json',
    pipeline=[
        dict(type='LoadUltrasoundImage'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='Resize', scale=(64, 64), keep_ratio=True),
        dict(type='PointsFromMasks', num_points=2, num_neg_points=1),
        dict(type='BoxesFromMasks'),
        dict(type='PackPromptInputs'),
    ]))
""")
    out = tmp_path / 'out'
    load_script('tools/analysis_tools/browse_dataset.py').main(
        [str(config), '--out', str(out), '--max-images', '2'])
    written = sorted(p.name for p in out.iterdir())
    assert written == ['00000_us.png', '00001_us.png']
    drawing = cv2.imread(str(out / written[0]))
    assert drawing.shape == (48, 64, 3)
    # Positive points are drawn in green.
    green = (drawing[..., 1] > 200) & (drawing[..., 0] < 80) & (
        drawing[..., 2] < 80)
    assert green.any()
