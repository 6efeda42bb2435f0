"""tools/analysis_tools/visualize_mae.py: the four panels, the reconstruction
loss it prints, DICOM frames, and one-line refusals that write nothing."""
import re
import shutil

import cv2
import numpy as np
import pytest
import torch
from pydicom.data import get_testdata_file

CONFIG = 'configs/mae/mae_vit-tiny-p16_phantom.py'
PANELS = 4


@pytest.fixture(scope='module')
def visualize(load_script):
    return load_script('tools/analysis_tools/visualize_mae.py')


@pytest.fixture(scope='module')
def checkpoint(visualize, repo_root, tmp_path_factory):
    torch.manual_seed(0)
    model = visualize.build_mae(str(repo_root / CONFIG), None)
    path = tmp_path_factory.mktemp('mae') / 'mae.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


@pytest.fixture
def image(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 255, (90, 120), np.uint8)
    path = tmp_path / 'scan.png'
    cv2.imwrite(str(path), pixels)
    return path


def test_panels_and_loss(visualize, repo_root, checkpoint, image, tmp_path,
                         capsys):
    out = tmp_path / 'vis' / 'mae.png'
    args = [str(repo_root / CONFIG), str(checkpoint), str(image), '--out',
            str(out)]
    visualize.main(args)
    canvas = cv2.imread(str(out))
    # 128 px input, panels upscaled x2, titled.
    assert canvas.shape == (256 + visualize._TITLE_HEIGHT, PANELS * 256, 3)
    panel = [canvas[visualize._TITLE_HEIGHT:, i * 256:(i + 1) * 256]
             for i in range(PANELS)]
    hidden = (panel[1] == 0).all(axis=2)
    assert 0.6 < hidden.mean() < 0.9  # 75 % of the patches, some black pixels
    # Visible patches are pasted back unchanged, hidden ones reconstructed.
    np.testing.assert_array_equal(panel[3][~hidden], panel[0][~hidden])
    np.testing.assert_array_equal(panel[3][hidden], panel[2][hidden])
    first = capsys.readouterr().out
    assert 'masked-patch loss' in first and 'mask ratio 0.75, seed 0' in first
    visualize.main(args + ['--force'])
    assert capsys.readouterr().out == first  # the same seed, the same mask
    visualize.main(args + ['--force', '--seed', '1', '--mask-ratio', '0.5'])
    assert 'mask ratio 0.5, seed 1' in capsys.readouterr().out


def test_reconstruction_loss_is_the_training_loss(visualize, repo_root,
                                                  checkpoint, image):
    model = visualize.build_mae(str(repo_root / CONFIG), str(checkpoint))
    inputs = visualize.prepare_images(model, [cv2.imread(str(image))] * 2)
    result = visualize.reconstruct(model, inputs, seed=3)
    torch.manual_seed(3)
    with torch.no_grad():
        loss = model.loss(inputs, None)['loss']
    assert torch.allclose(result.loss.mean(), loss)


def test_norm_pix_reconstruction_is_in_pixels(visualize, repo_root,
                                              checkpoint, image):
    model = visualize.build_mae(str(repo_root / CONFIG), str(checkpoint))
    inputs = visualize.prepare_images(model, [cv2.imread(str(image))])
    plain = visualize.reconstruct(model, inputs, seed=0).prediction
    model.head.norm_pix = True
    result = visualize.reconstruct(model, inputs, seed=0)
    patches = model.head.patchify(inputs)
    expected = (model.head.patchify(plain) *
                (patches.var(dim=-1, keepdim=True) + 1e-6)**.5 +
                patches.mean(dim=-1, keepdim=True))
    assert torch.allclose(model.head.patchify(result.prediction), expected,
                          atol=1e-5)


def test_dicom_frame(visualize, repo_root, checkpoint, tmp_path, capsys):
    dicom = tmp_path / 'loop.dcm'
    shutil.copy(get_testdata_file('examples_ybr_color.dcm'), dicom)
    outputs = []
    for frame in ('0', '29'):
        out = tmp_path / f'frame{frame}.png'
        visualize.main([str(repo_root / CONFIG), str(checkpoint), str(dicom),
                        '--frame', frame, '--out', str(out)])
        outputs.append(cv2.imread(str(out)))
    assert not np.array_equal(*outputs)


@pytest.mark.parametrize('case, message', [
    ('exists', 'exists; pass --force'),
    ('same as image', 'is the input'),
    ('not png', 'must be a .png file name'),
    ('no checkpoint', 'checkpoint .* not found'),
    ('not an mae', 'is a UltraSam, not an mmpretrain MAE'),
    ('other architecture', 'does not fit the model'),
    ('bad frame', 'cannot read image: .*frame'),
    ('bad mask ratio', r'--mask-ratio must be in \(0, 1\)'),
])
def test_refusals_are_one_line(visualize, repo_root, checkpoint, image,
                               tmp_path, snapshot, case, message):
    config, ckpt, out = repo_root / CONFIG, checkpoint, tmp_path / 'out.png'
    extra = []
    if case == 'exists':
        out.write_bytes(b'keep')
    elif case == 'same as image':
        out = image
    elif case == 'not png':
        out = tmp_path / 'out.jpg'
    elif case == 'no checkpoint':
        ckpt = tmp_path / 'absent.pth'
    elif case == 'not an mae':
        config = repo_root / 'configs/ultrasam/ultrasam_vitt_phantom.py'
    elif case == 'other architecture':
        state = torch.load(checkpoint)['state_dict']
        state['backbone.pos_embed'] = torch.zeros(1, 5, 96)
        ckpt = tmp_path / 'other.pth'
        torch.save(dict(state_dict=state), ckpt)
    elif case == 'bad frame':
        extra = ['--frame', '2']
    else:
        extra = ['--mask-ratio', '1.0']
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        visualize.main([str(config), str(ckpt), str(image), '--out', str(out)]
                       + extra)
    text = str(exit_info.value)
    assert text.startswith('visualize_mae.py: error: ') and '\n' not in text
    assert re.search(message, text), text
    assert snapshot(tmp_path) == before
