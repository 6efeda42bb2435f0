"""Shapes, padding masks and losses of the prompt encoder, transformer and
mask decoder."""
import pytest
import torch
from mmcv.cnn.bricks.transformer import FFN

from ultrasam.models import SamMaskDecoder, SamPromptEncoder, TwoWayTransformer
from ultrasam.models.layers import Attention
from ultrasam.models.losses import SamDiceLoss, SamFocalLoss, mask_iou

C = 32
EMB = (8, 8)
INPUT = (128, 128)


@pytest.fixture
def encoder():
    torch.manual_seed(0)
    return SamPromptEncoder(
        embed_dims=C,
        image_embedding_size=EMB,
        input_image_size=INPUT,
        mask_in_channels=8).eval()


@pytest.fixture
def decoder():
    torch.manual_seed(0)
    return SamMaskDecoder(
        transformer=dict(
            type='TwoWayTransformer',
            depth=2,
            embed_dims=C,
            num_heads=4,
            mlp_dims=64),
        embed_dims=C,
        iou_head_hidden_dims=C).eval()


def test_prompt_encoder_shapes_and_padding(encoder):
    coords = torch.rand(3, 4, 2) * 127
    labels = torch.tensor([[1, 0, -1, -1], [1, -1, -1, -1], [-1] * 4])
    boxes = torch.tensor([[10., 10, 50, 60]] * 3)
    box_valid = torch.tensor([True, False, True])
    sparse, padding, dense = encoder(coords, labels, boxes, box_valid)
    assert sparse.shape == (3, 6, C)
    assert dense.shape == (3, C) + EMB
    assert padding.tolist() == [
        [False, False, True, True, False, False],
        [False, True, True, True, False, True],  # not-a-point, then padding
        [True, True, True, True, False, False],
    ]
    # Padding tokens are zero; the box-less row carries "not a point".
    assert sparse[padding].abs().max() == 0
    assert torch.equal(sparse[1, 4], encoder.not_a_point_embed.weight[0])
    assert torch.equal(dense[0, :, 0, 0], encoder.no_mask_embed.weight[0])
    assert encoder.get_dense_pe().shape == (1, C) + EMB


def test_prompt_encoder_sam_layouts(encoder):
    coords = torch.rand(2, 1, 2) * 127
    labels = torch.ones(2, 1, dtype=torch.long)
    # Points only: points + SAM's padding point (a real token).
    sparse, padding, _ = encoder(coords, labels)
    assert sparse.shape == (2, 2, C) and not padding.any()
    # Box only: two corners, no padding point.
    sparse, padding, _ = encoder(boxes=torch.tensor([[1., 2, 30, 40]]))
    assert sparse.shape == (1, 2, C) and not padding.any()
    # Mask only: no sparse token at all, dense from the downscaling convs.
    masks = torch.randn(2, 1, 32, 32)
    sparse, padding, dense = encoder(masks=masks)
    assert sparse.shape == (2, 0, C) and dense.shape == (2, C) + EMB
    assert torch.allclose(dense, encoder.mask_downscaling(masks))


def test_prompt_encoder_coord_offset(encoder):
    # The release's encoder (coord_offset=0) sees SAM's coordinates + 0.5.
    torch.manual_seed(0)
    release = SamPromptEncoder(
        embed_dims=C,
        image_embedding_size=EMB,
        input_image_size=INPUT,
        mask_in_channels=8,
        coord_offset=0.0).eval()
    release.load_state_dict(encoder.state_dict())
    coords = torch.rand(2, 3, 2) * 127
    labels = torch.tensor([[1, 0, 1], [0, 1, -1]])
    boxes = torch.tensor([[10., 10, 50, 60], [3, 4, 100, 90]])
    ours = encoder(coords, labels, boxes)[0]
    theirs = release(coords + 0.5, labels, boxes + 0.5)[0]
    torch.testing.assert_close(ours, theirs)
    assert not torch.allclose(ours, release(coords, labels, boxes)[0])


def test_prompt_encoder_errors(encoder):
    with pytest.raises(ValueError, match='point_labels'):
        encoder(point_coords=torch.zeros(1, 1, 2))
    with pytest.raises(ValueError, match='point_coords must be'):
        encoder(torch.zeros(1, 2), torch.zeros(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r'got \[2\]'):
        encoder(torch.zeros(1, 1, 2), torch.full((1, 1), 2))
    with pytest.raises(ValueError, match='disagree'):
        encoder(torch.zeros(2, 1, 2), torch.ones(2, 1, dtype=torch.long),
                torch.zeros(3, 4))
    with pytest.raises(ValueError, match='mask_input must be'):
        encoder(masks=torch.zeros(1, 1, 64, 64))


def test_attention_key_padding_mask_ignores_padded_keys():
    torch.manual_seed(0)
    attn = Attention(C, 4, downsample_rate=2)
    q, k = torch.randn(2, 5, C), torch.randn(2, 7, C)
    mask = torch.zeros(2, 7, dtype=torch.bool)
    mask[:, 4:] = True
    out = attn(q, k, k, mask)
    assert out.shape == (2, 5, C)
    assert torch.allclose(out, attn(q, k[:, :4], k[:, :4]), atol=1e-6)


def test_two_way_transformer_shapes_and_padding():
    torch.manual_seed(0)
    tr = TwoWayTransformer(depth=2, embed_dims=C, num_heads=4, mlp_dims=64)
    image, pe = torch.randn(2, C, 4, 4), torch.randn(1, C, 4, 4)
    tokens = torch.randn(2, 6, C)
    queries, keys = tr(image, pe, tokens)
    assert queries.shape == (2, 6, C) and keys.shape == (2, 16, C)
    # Appending padding tokens changes nothing for the real ones.
    padded = torch.cat([tokens, torch.randn(2, 3, C)], 1)
    mask = torch.zeros(2, 9, dtype=torch.bool)
    mask[:, 6:] = True
    queries_p, keys_p = tr(image, pe, padded, mask)
    assert torch.allclose(queries_p[:, :6], queries, atol=1e-5)
    assert torch.allclose(keys_p, keys, atol=1e-5)


def test_double_mlp_residual_matches_mmcv_ffn():
    """The release's mmcv FFN residual plus the manual one: q = 2q + mlp(q)."""
    torch.manual_seed(0)
    tr = TwoWayTransformer(
        depth=1, embed_dims=C, num_heads=4, mlp_dims=64,
        double_mlp_residual=True)
    block = tr.layers[0]
    ffn = FFN(embed_dims=C, feedforward_channels=64)
    ffn.layers[0][0].load_state_dict(block.mlp.lin1.state_dict())
    ffn.layers[1].load_state_dict(block.mlp.lin2.state_dict())
    q = torch.randn(2, 5, C)
    release = q + ffn(q)  # mmcv FFN adds its identity
    ours = (2 * q if block.double_mlp_residual else q) + block.mlp(q)
    assert torch.allclose(release, ours, atol=1e-6)
    image, pe = torch.randn(1, C, 4, 4), torch.randn(1, C, 4, 4)
    plain = TwoWayTransformer(depth=1, embed_dims=C, num_heads=4, mlp_dims=64)
    plain.load_state_dict(tr.state_dict())
    tokens = torch.randn(1, 3, C)
    assert not torch.allclose(tr(image, pe, tokens)[0],
                              plain(image, pe, tokens)[0])


def test_mask_decoder_shapes_and_shared_embeddings(encoder, decoder):
    image = torch.randn(2, C, *EMB)
    coords = torch.rand(3, 2, 2) * 127
    labels = torch.tensor([[1, 0], [1, -1], [0, 1]])
    sparse, padding, dense = encoder(coords, labels)
    image_indices = torch.tensor([0, 1, 1])
    masks, iou = decoder(image, encoder.get_dense_pe(), sparse, dense,
                         padding, image_indices)
    assert masks.shape == (3, 4, 32, 32) and iou.shape == (3, 4)
    # Set 1 decoded alone on its image, without the padded point, matches.
    s1, p1, d1 = encoder(coords[1:2, :1], labels[1:2, :1])
    m1, i1 = decoder(image[1:2], encoder.get_dense_pe(), s1, d1, p1)
    assert torch.allclose(m1, masks[1:2], atol=1e-4)
    assert torch.allclose(i1, iou[1:2], atol=1e-5)
    with pytest.raises(ValueError, match='image_indices'):
        decoder(image, encoder.get_dense_pe(), sparse, dense, padding)


def test_mask_decoder_select_best(decoder):
    logits = torch.randn(2, 4, 8, 8)
    iou = torch.tensor([[0.9, 0.1, 0.5, 0.3], [0.9, 0.1, 0.5, 0.3]])
    best, score = decoder.select_best(logits, iou, torch.tensor([True, False]))
    assert torch.equal(best[0], logits[0, 2]) and score[0] == 0.5
    assert torch.equal(best[1], logits[1, 0]) and score[1] == 0.9
    assert decoder.output_slice(True) == slice(1, None)


def test_mask_decoder_loss_min_loss_candidate_and_all_ious(decoder):
    gt = torch.zeros(2, 8, 8)
    gt[:, 2:6, 2:6] = 1
    logits = torch.full((2, 4, 8, 8), -5.)
    logits[:, 2] = gt * 10 - 5  # candidate 2 is perfect
    logits.requires_grad_(True)
    iou = torch.full((2, 4), 0.5, requires_grad=True)
    multimask = torch.tensor([True, False])
    losses = decoder.loss(logits, iou, gt, multimask)
    sum(losses.values()).backward()
    # Multimask set: only the min-loss candidate gets mask gradients.
    assert logits.grad[0, 2].abs().sum() > 0
    assert logits.grad[0, [0, 1, 3]].abs().sum() == 0
    # Single-mask set: token 0 only.
    assert logits.grad[1, 0].abs().sum() > 0
    assert logits.grad[1, 1:].abs().sum() == 0
    # IoU head trained on every candidate of the output mode.
    assert (iou.grad[0, 1:] != 0).all() and iou.grad[0, 0] == 0
    assert iou.grad[1, 0] != 0 and (iou.grad[1, 1:] == 0).all()
    with pytest.raises(ValueError, match='gt_masks'):
        decoder.loss(logits, iou, gt[:, :4], multimask)


def test_mask_losses():
    target = torch.zeros(1, 4, 4)
    target[0, :2] = 1
    perfect = target * 40 - 20
    focal = SamFocalLoss(loss_weight=1.0)
    dice = SamDiceLoss()
    assert focal(perfect, target).item() < 1e-6
    assert dice(perfect, target).item() < 1e-6
    assert dice(torch.full((1, 4, 4), -20.), torch.zeros(1, 4, 4)) < 1e-6
    assert focal(-perfect, target) > 1
    assert mask_iou(target > 0, target > 0).item() == 1
    assert mask_iou(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2)).item() == 1
    half = target.clone()
    half[0, 1] = 0
    assert mask_iou(half, target).item() == 0.5
