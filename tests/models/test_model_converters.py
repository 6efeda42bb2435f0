"""Weight converters: segment-anything and the original UltraSam release."""
import importlib.util
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from segment_anything import sam_model_registry

import ultrasam  # noqa: F401
from tiny_ultrasam import REPO, build_tiny
from mmdet.registry import MODELS

CONVERTERS = REPO / 'tools' / 'model_converters'


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        name, CONVERTERS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('arch,sam_name', [('b', 'vit_b'), ('l', 'vit_l'),
                                           ('h', 'vit_h')])
def test_sam_checkpoint_loads_strictly(arch, sam_name):
    """Every official architecture, on the meta device (no memory, fast)."""
    convert = load_tool('sam_to_ultrasam').convert_sam
    init_default_scope('mmdet')
    cfg = Config.fromfile(
        str(REPO / 'configs' / '_base_' / 'models' /
            f'ultrasam_vit{arch}.py'))
    with torch.device('meta'):
        sam = sam_model_registry[sam_name]()
        model = MODELS.build(cfg.model)
    state_dict = convert(sam.state_dict())
    result = model.load_state_dict(state_dict, strict=True, assign=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_sam_converter_rejects_foreign_keys():
    convert = load_tool('sam_to_ultrasam').convert_sam
    with pytest.raises(KeyError, match='not a segment-anything'):
        convert({'backbone.pos_embed': torch.zeros(1)})


def release_state_dict(model) -> 'OrderedDict[str, torch.Tensor]':
    """A synthetic state dict with the original release's key names,
    filled with random values of this tiny model's shapes."""
    g = torch.Generator().manual_seed(0)
    ours = model.state_dict()
    c = model.prompt_encoder.embed_dims

    def rand(*shape):
        return torch.randn(*shape, generator=g)

    sd = OrderedDict()
    for key, value in ours.items():
        if key.startswith('backbone.') or key.startswith(
                ('prompt_encoder.pe_layer.',
                 'prompt_encoder.mask_downscaling.')):
            sd[key] = rand(*value.shape)
    sd['prompt_encoder.label_encoder.label_embedding.weight'] = rand(11, c)
    attentions = [f'layers.{i}.{name}' for i in range(2) for name in (
        'self_attn', 'cross_attn_token_to_image', 'cross_attn_image_to_token')]
    for name in attentions + ['final_attn_token_to_image']:
        ours_attn = f'mask_decoder.transformer.{name}.'
        internal, dims = ours[ours_attn + 'q_proj.weight'].shape
        for proj in 'qkv':
            sd[f'decoder.{name}.attn.{proj}_proj_weight'] = rand(
                internal, dims)
        sd[f'decoder.{name}.attn.in_proj_bias'] = rand(3 * internal)
        sd[f'decoder.{name}.attn.out_proj.weight'] = rand(dims, internal)
        sd[f'decoder.{name}.attn.out_proj.bias'] = rand(dims)
    for i in range(2):
        src = f'mask_decoder.transformer.layers.{i}.'
        for n in range(1, 5):
            for p in ('weight', 'bias'):
                sd[f'decoder.layers.{i}.norm{n}.{p}'] = rand(c)
        for p in ('weight', 'bias'):
            sd[f'decoder.layers.{i}.mlp.layers.0.0.{p}'] = rand(
                *ours[src + f'mlp.lin1.{p}'].shape)
            sd[f'decoder.layers.{i}.mlp.layers.1.{p}'] = rand(
                *ours[src + f'mlp.lin2.{p}'].shape)
    for p in ('weight', 'bias'):
        sd[f'decoder.post_norm.{p}'] = rand(c)
    for key, value in ours.items():
        for part in ('output_upscaling', 'output_hypernetworks_mlps',
                     'iou_prediction_head'):
            if key.startswith(f'mask_decoder.{part}.'):
                sd[key.replace('mask_decoder.', 'bbox_head.')] = rand(
                    *value.shape)
    return sd


def test_release_checkpoint_converts_and_loads_strictly(tmp_path,
                                                      monkeypatch):
    tool = load_tool('ultrasam_release_to_ultrasam')
    model = build_tiny(transformer=dict(double_mlp_residual=True))
    assert all(layer.double_mlp_residual
               for layer in model.mask_decoder.transformer.layers)
    release = release_state_dict(model)
    src, dst = tmp_path / 'UltraSam.pth', tmp_path / 'converted.pth'
    # An MMEngine-style checkpoint: weights plus meta data.
    torch.save(
        dict(state_dict=release, meta=dict(epoch=1, mmdet_version='3.3.0')),
        src)
    monkeypatch.setattr('sys.argv', ['convert', str(src), str(dst)])
    tool.main()
    converted = torch.load(dst, weights_only=True)['state_dict']
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys

    table = release['prompt_encoder.label_encoder.label_embedding.weight']
    pe = model.prompt_encoder
    assert torch.equal(pe.no_mask_embed.weight[0], table[0])
    assert torch.equal(pe.point_embeddings[0].weight[0], table[1])  # neg
    assert torch.equal(pe.point_embeddings[1].weight[0], table[2])  # pos
    assert torch.equal(pe.not_a_point_embed.weight[0], table[5])
    assert torch.equal(model.mask_decoder.mask_tokens.weight, table[6:10])
    assert torch.equal(model.mask_decoder.iou_token.weight[0], table[10])


def test_release_attention_matches_torch_multihead_attention():
    """The release ran nn.MultiheadAttention with separate q/k/v weights and
    one concatenated bias; the converted attention computes the same."""
    convert = load_tool('ultrasam_release_to_ultrasam').convert_release
    model = build_tiny()
    release = release_state_dict(model)
    model.load_state_dict(convert(release), strict=True)
    c = model.prompt_encoder.embed_dims
    prefix = 'decoder.layers.0.self_attn.attn.'
    mha = torch.nn.MultiheadAttention(
        c, num_heads=4, batch_first=True, kdim=c + 1)
    mha.k_proj_weight = torch.nn.Parameter(torch.empty(c, c))
    mha.load_state_dict({
        k[len(prefix):]: v
        for k, v in release.items() if k.startswith(prefix)
    })
    x = torch.randn(2, 5, c)
    expected = mha(x, x, x, need_weights=False)[0]
    ours = model.mask_decoder.transformer.layers[0].self_attn(x, x, x)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_release_converter_errors():
    convert = load_tool('ultrasam_release_to_ultrasam').convert_release
    with pytest.raises(KeyError, match='label_embedding'):
        convert({'backbone.pos_embed': torch.zeros(1)})
    release = release_state_dict(build_tiny())
    release['neck.foo'] = torch.zeros(1)
    with pytest.raises(KeyError, match='neck.foo'):
        convert(release)
    release = {
        k: v
        for k, v in release_state_dict(build_tiny()).items()
        if 'mask_downscaling' not in k
    }
    with pytest.raises(KeyError, match='mask refinement'):
        convert(release)
