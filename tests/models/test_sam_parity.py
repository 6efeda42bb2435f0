"""Numerical parity with segment-anything's SamPredictor (vit_b).

No weights can be downloaded, so a segment-anything vit_b gets seeded random
weights (every parameter perturbed away from its zero / one init), is saved
as an official-format checkpoint, converted with
tools/model_converters/sam_to_ultrasam.py and loaded strictly into the model
of configs/_base_/models/ultrasam_vitb.py. Each image is embedded once per
model and reused for every prompt variant (vit_b at 1024 is slow on CPU).
"""
import importlib.util

import numpy as np
import pytest
import torch
from segment_anything import SamPredictor, sam_model_registry

from tiny_ultrasam import REPO
from ultrasam.apis import UltraSamPredictor

VITB_CONFIG = REPO / 'configs' / '_base_' / 'models' / 'ultrasam_vitb.py'


@pytest.fixture(scope='module')
def predictors(tmp_path_factory):
    torch.manual_seed(0)
    sam = sam_model_registry['vit_b']()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in sam.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
    sam.eval()
    folder = tmp_path_factory.mktemp('parity')
    src, dst = folder / 'sam_vit_b.pth', folder / 'ultrasam_vit_b.pth'
    torch.save(sam.state_dict(), src)

    spec = importlib.util.spec_from_file_location(
        'sam_to_ultrasam',
        REPO / 'tools' / 'model_converters' / 'sam_to_ultrasam.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    mp = pytest.MonkeyPatch()
    mp.setattr('sys.argv', ['sam_to_ultrasam', str(src), str(dst)])
    tool.main()
    mp.undo()
    # from_config loads strictly: no missing or unexpected keys.
    return SamPredictor(sam), UltraSamPredictor.from_config(VITB_CONFIG, dst)


def prompt_variants(h: int, w: int, low_res_mask: np.ndarray):
    points = dict(
        point_coords=np.array([[0.3 * w, 0.4 * h], [0.6 * w, 0.55 * h]]),
        point_labels=np.array([1, 0]))
    box = dict(box=np.array([0.2 * w, 0.25 * h, 0.7 * w, 0.8 * h]))
    return {
        'points': points,
        'box': box,
        'box+points': {**points, **box},
        'mask+points': {**points, 'mask_input': low_res_mask},
        'mask': {'mask_input': low_res_mask},
    }


@pytest.mark.parametrize('shape', [(1024, 768), (768, 1024)])
def test_parity_with_segment_anything(predictors, shape):
    sam, ours = predictors
    h, w = shape
    image = np.random.default_rng(h).integers(0, 256, (h, w, 3), np.uint8)
    with torch.no_grad():
        sam.set_image(image)
    ours.set_image(image)

    low_res_mask = np.random.default_rng(0).normal(
        0, 2, (1, 256, 256)).astype(np.float32)
    report = []
    for name, prompts in prompt_variants(h, w, low_res_mask).items():
        for multimask in (True, False):
            with torch.no_grad():
                ref = sam.predict(multimask_output=multimask, **prompts)
            got = ours.predict(multimask_output=multimask, **prompts)
            for a, b in zip(ref, got):
                assert a.shape == b.shape
            logit_diff = np.abs(ref[2] - got[2]).max()
            tol = 1e-4 * max(1.0, np.abs(ref[2]).max())
            iou_diff = np.abs(ref[1] - got[1]).max()
            report.append(f'{name} multimask={multimask}: logits '
                          f'{logit_diff:.2e} (tol {tol:.1e}), '
                          f'iou {iou_diff:.2e}')
            assert logit_diff <= tol, report[-1]
            assert iou_diff <= 1e-4, report[-1]
            assert (ref[0] != got[0]).mean() < 1e-4, report[-1]
    print(f'\n{shape}:\n' + '\n'.join(report))
