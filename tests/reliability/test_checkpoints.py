"""Reliability catalogue: reading checkpoints, loading them into models, converters.

Every bad input gives one error that names the file and says what is wrong (never
advising ``weights_only=False``), no input file changes, and no partial output is
left behind. Cases that already behaved are kept here so that they keep behaving.
"""

import pytest
import torch

from checkpoint_fixtures import (UNREADABLE_CHECKPOINTS, VITB_CONFIG,
                                 build_model, mmengine_checkpoint, tiny_sam,
                                 write_unreadable)
from ultrasam.utils import (CheckpointError, load_model_weights,
                            read_state_dict, save_checkpoint)


@pytest.fixture(scope='module')
def tiny_weights(init_checkpoint):
    return torch.load(init_checkpoint, weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def sam_weights():
    return tiny_sam().state_dict()


@pytest.fixture(scope='module')
def sam_to_ultrasam(load_script):
    return load_script('tools/model_converters/sam_to_ultrasam.py')


@pytest.fixture(scope='module')
def release_to_ultrasam(load_script):
    return load_script('tools/model_converters/ultrasam_release_to_ultrasam.py')


def _same_weights(model, state_dict) -> bool:
    ours = model.state_dict()
    return all(torch.equal(ours[key], value)
               for key, value in state_dict.items())


# -- reading ---------------------------------------------------------------


@pytest.mark.parametrize('case', list(UNREADABLE_CHECKPOINTS))
def test_unreadable_checkpoint_is_one_clear_error(case, tmp_path, snapshot):
    path = tmp_path / 'weights.pth'
    write_unreadable(case, path)
    before = snapshot(tmp_path)
    with pytest.raises(CheckpointError) as error:
        read_state_dict(path)
    message = str(error.value)
    assert str(path) in message
    assert UNREADABLE_CHECKPOINTS[case][1] in message
    assert 'weights_only' not in message
    assert snapshot(tmp_path) == before, 'a file changed or a payload ran'


@pytest.mark.parametrize('layout', [
    'bare state dict', 'MMEngine checkpoint (HistoryBuffer)', "'model' key",
    "DDP 'module.' prefix"
])
def test_readable_layouts_load_strictly(layout, tiny_weights, tmp_path,
                                       snapshot):
    content = {
        'bare state dict': tiny_weights,
        'MMEngine checkpoint (HistoryBuffer)':
        mmengine_checkpoint(tiny_weights),
        "'model' key": dict(model=tiny_weights, optimizer={}),
        "DDP 'module.' prefix":
        {f'module.{key}': value
         for key, value in tiny_weights.items()},
    }[layout]
    path = tmp_path / 'weights.pth'
    torch.save(content, path)
    before = snapshot(tmp_path)
    model = build_model(seed=2)
    assert not load_model_weights(model, path)
    assert _same_weights(model, tiny_weights)
    assert snapshot(tmp_path) == before


# -- loading into a model --------------------------------------------------


def _drop(prefix):
    return lambda sd, sam: {k: v for k, v in sd.items()
                            if not k.startswith(prefix)}


def _reshape(key):
    return lambda sd, sam: {**sd, key: torch.zeros(3, *sd[key].shape[1:])}


@pytest.mark.parametrize('case,transform,expected', [
    ('missing mask decoder', _drop('mask_decoder.'),
     ['keys missing', 'mask_decoder (']),
    ('unexpected keys', lambda sd, sam: {**sd, 'neck.extra': torch.ones(1)},
     ['1 unexpected keys', 'neck.extra']),
    ('wrong shape', _reshape('mask_decoder.iou_token.weight'), [
        'architecture mismatch', 'mask_decoder.iou_token.weight is (1, 64)',
        'but (3, 64) in the checkpoint'
    ]),
    ('unconverted segment-anything', lambda sd, sam: sam,
     ['segment-anything', 'tools/model_converters/sam_to_ultrasam.py']),
])
def test_checkpoint_that_does_not_fit_is_refused(case, transform, expected,
                                                 tiny_weights, sam_weights,
                                                 tmp_path, snapshot):
    path = tmp_path / 'weights.pth'
    torch.save(dict(state_dict=transform(tiny_weights, sam_weights)), path)
    before = snapshot(tmp_path)
    model = build_model(seed=2)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as error:
        load_model_weights(model, path)
    message = str(error.value)
    assert message.startswith(f'checkpoint {path} does not fit the model')
    for words in expected:
        assert words in message
    assert _same_weights(model, initial), 'a refused load changed the model'
    assert snapshot(tmp_path) == before


def test_vit_t_checkpoint_in_vit_b_config_is_an_architecture_mismatch(
        tiny_weights, tmp_path):
    path = tmp_path / 'vit_t.pth'
    torch.save(dict(state_dict=tiny_weights), path)
    vit_b = build_model(VITB_CONFIG, device='meta')
    with pytest.raises(CheckpointError) as error:
        load_model_weights(vit_b, path)
    message = str(error.value)
    assert 'architecture mismatch: backbone.pos_embed is (1, 64, 64, 768) ' \
        "in the config's model but (1, 16, 16, 96) in the checkpoint" in message
    assert str(path) in message


def test_partial_load_is_explicit_and_reports_what_it_skipped(
        tiny_weights, tmp_path):
    path = tmp_path / 'weights.pth'
    partial = {k: v for k, v in tiny_weights.items()
               if not k.startswith('mask_decoder.')}
    partial['backbone.pos_embed'] = torch.zeros(1, 2, 2, 96)
    partial['neck.extra'] = torch.ones(1)
    torch.save(partial, path)
    model = build_model(seed=2)
    decoder_before = model.mask_decoder.iou_token.weight.clone()
    mismatch = load_model_weights(model, path, strict=False)
    assert {key for key, _, _ in mismatch.shapes} == {'backbone.pos_embed'}
    assert mismatch.unexpected == ['neck.extra']
    assert all(key.startswith('mask_decoder.') for key in mismatch.missing)
    assert torch.equal(model.mask_decoder.iou_token.weight, decoder_before)
    assert torch.equal(model.backbone.layers[0].attn.qkv.weight,
                       tiny_weights['backbone.layers.0.attn.qkv.weight'])


def test_interrupted_save_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / 'out.pth'

    def disk_full(obj, file):
        file.write(b'PK\x03\x04partial')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(torch, 'save', disk_full)
    with pytest.raises(OSError):
        save_checkpoint(dict(state_dict={}), target)
    assert list(tmp_path.iterdir()) == []


# -- converters ------------------------------------------------------------


def _run(tool, argv, capsys):
    """``(exit message or None, stdout)`` of ``tool.main(argv)``."""
    try:
        tool.main([str(a) for a in argv])
    except SystemExit as exit_:
        return str(exit_.code), capsys.readouterr().out
    return None, capsys.readouterr().out


@pytest.mark.parametrize('case', list(UNREADABLE_CHECKPOINTS))
def test_converter_refuses_unreadable_source(case, sam_to_ultrasam, tmp_path,
                                             capsys, snapshot):
    src, dst = tmp_path / 'sam.pth', tmp_path / 'out.pth'
    write_unreadable(case, src)
    before = snapshot(tmp_path)
    error, _ = _run(sam_to_ultrasam, [src, dst], capsys)
    assert error.startswith('sam_to_ultrasam.py: error: ')
    assert str(src) in error and UNREADABLE_CHECKPOINTS[case][1] in error
    assert 'weights_only' not in error
    assert snapshot(tmp_path) == before, 'wrote an output or ran a payload'


@pytest.mark.parametrize('prefix,part', [
    ('image_encoder.', 'image encoder (backbone.patch_embed.'),
    ('prompt_encoder.', 'prompt encoder (prompt_encoder.pe_layer.'),
    ('mask_decoder.', 'mask decoder (mask_decoder.transformer.'),
    ('mask_decoder.iou_prediction_head.',
     'mask decoder (mask_decoder.iou_prediction_head.)'),
])
def test_converter_requires_every_part_of_sam(prefix, part, sam_weights,
                                              sam_to_ultrasam, tmp_path,
                                              capsys, snapshot):
    src, dst = tmp_path / 'sam.pth', tmp_path / 'out.pth'
    torch.save({k: v for k, v in sam_weights.items()
                if not k.startswith(prefix)}, src)
    before = snapshot(tmp_path)
    error, out = _run(sam_to_ultrasam, [src, dst], capsys)
    assert f'{src} lacks parts of the model, so no checkpoint was written' \
        in error
    assert part in error
    assert snapshot(tmp_path) == before and 'saved' not in out


def test_converted_sam_loads_strictly(sam_weights, sam_to_ultrasam, tmp_path,
                                      capsys):
    src, dst = tmp_path / 'sam.pth', tmp_path / 'sub' / 'out.pth'
    torch.save(sam_weights, src)
    error, out = _run(sam_to_ultrasam, [src, dst], capsys)
    assert error is None
    assert out.strip() == f'saved {len(sam_weights)} tensors to {dst}'
    model = build_model(seed=2)
    assert not load_model_weights(model, dst)
    assert torch.equal(model.mask_decoder.iou_token.weight,
                       sam_weights['mask_decoder.iou_token.weight'])


@pytest.mark.parametrize('link', ['same path', 'symlink', 'hard link'])
@pytest.mark.parametrize('force', [False, True])
def test_converter_never_overwrites_its_source(link, force, sam_weights,
                                               sam_to_ultrasam, tmp_path,
                                               capsys, snapshot):
    src = tmp_path / 'sam.pth'
    torch.save(sam_weights, src)
    dst = {'same path': src, 'symlink': tmp_path / 'link.pth',
           'hard link': tmp_path / 'hard.pth'}[link]
    if link == 'symlink':
        dst.symlink_to(src)
    elif link == 'hard link':
        dst.hardlink_to(src)
    before = snapshot(tmp_path)
    error, _ = _run(sam_to_ultrasam,
                    [src, dst] + (['--force'] if force else []), capsys)
    assert f'output {dst} is the input checkpoint {src}' in error
    assert snapshot(tmp_path) == before


def test_converter_overwrites_an_existing_output_only_with_force(
        sam_weights, sam_to_ultrasam, tmp_path, capsys, snapshot):
    src, dst = tmp_path / 'sam.pth', tmp_path / 'out.pth'
    torch.save(sam_weights, src)
    dst.write_text('earlier result')
    before = snapshot(tmp_path)
    error, _ = _run(sam_to_ultrasam, [src, dst], capsys)
    assert f'output {dst} exists; pass --force' in error
    assert snapshot(tmp_path) == before
    error, _ = _run(sam_to_ultrasam, [src, dst, '--force'], capsys)
    assert error is None and not load_model_weights(build_model(), dst)


def test_converter_output_that_is_a_directory(sam_weights, sam_to_ultrasam,
                                              tmp_path, capsys):
    src = tmp_path / 'sam.pth'
    torch.save(sam_weights, src)
    error, _ = _run(sam_to_ultrasam, [src, tmp_path, '--force'], capsys)
    assert f'output {tmp_path} is a directory' in error


@pytest.mark.parametrize('tool_name', ['sam_to_ultrasam', 'release_to_ultrasam'])
def test_converter_given_an_ultrasam_checkpoint(tool_name, tiny_weights,
                                                request, tmp_path, capsys,
                                                snapshot):
    tool = request.getfixturevalue(tool_name)
    src, dst = tmp_path / 'iter_4.pth', tmp_path / 'out.pth'
    torch.save(mmengine_checkpoint(tiny_weights), src)
    before = snapshot(tmp_path)
    error, _ = _run(tool, [src, dst], capsys)
    assert f'{src} is already an UltraSam checkpoint of this package' in error
    assert 'needs no conversion' in error
    assert snapshot(tmp_path) == before


def test_converters_point_at_each_other(sam_weights, sam_to_ultrasam,
                                        release_to_ultrasam, tmp_path, capsys):
    sam, release = tmp_path / 'sam.pth', tmp_path / 'UltraSam.pth'
    torch.save(sam_weights, sam)
    torch.save(
        dict(state_dict={
            'prompt_encoder.label_encoder.label_embedding.weight':
            torch.ones(11, 4),
            'bbox_head.iou_token.weight': torch.ones(1, 4)
        }), release)
    error, _ = _run(release_to_ultrasam, [sam, tmp_path / 'a.pth'], capsys)
    assert f'{sam} is an unconverted segment-anything checkpoint' in error
    assert f'tools/model_converters/sam_to_ultrasam.py {sam} OUT.pth' in error
    error, _ = _run(sam_to_ultrasam, [release, tmp_path / 'b.pth'], capsys)
    assert f'{release} is a checkpoint of the original UltraSam release' \
        in error
    assert 'ultrasam_release_to_ultrasam.py' in error


def test_converter_names_a_foreign_key(sam_weights, sam_to_ultrasam, tmp_path,
                                       capsys):
    src = tmp_path / 'sam.pth'
    torch.save({**sam_weights, 'neck.extra': torch.ones(1)}, src)
    error, _ = _run(sam_to_ultrasam, [src, tmp_path / 'out.pth'], capsys)
    assert f"{src}: unexpected key 'neck.extra'" in error
