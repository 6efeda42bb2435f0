"""UltraSam on the tiny config: loss, predict, refinement, training."""
import pytest
import torch

from tiny_ultrasam import SIZE, build_tiny, lesion_image, make_sample
from ultrasam.models import PromptBatch, sample_corrective_clicks
from ultrasam.models.utils import (gt_masks_from_data_samples,
                                   random_instance_subset, valid_click_cells)
from ultrasam.structures import PromptType


def inputs_for(samples, seed=0):
    """Normalised, padded (B, 3, SIZE, SIZE) inputs like the preprocessor's."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(len(samples), 3, SIZE, SIZE, generator=g)


def test_loss_keys_and_gradient_flow():
    model = build_tiny(train_cfg=dict(num_refine_rounds=2))
    model.train()
    samples = [make_sample(4, seed=0), make_sample(3, seed=1)]
    losses = model.loss(inputs_for(samples), samples)
    assert set(losses) == {'loss_focal', 'loss_dice', 'loss_iou'}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.grad is None and 'output_hypernetworks_mlps' not in name
    ]
    assert missing == []
    # Hypernetworks: the single-mask one and at least one multimask one.
    hyper = model.mask_decoder.output_hypernetworks_mlps
    assert hyper[0].layers[0].weight.grad is not None
    assert any(h.layers[0].weight.grad is not None for h in hyper[1:])
    for p in model.parameters():
        if p.grad is not None:
            assert torch.isfinite(p.grad).all()


def test_loss_without_instances_is_zero_and_connected():
    model = build_tiny()
    model.train()
    samples = [make_sample(0), make_sample(0)]
    losses = model.loss(inputs_for(samples), samples)
    assert all(v.item() == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.backbone.patch_embed.projection.weight.grad is not None


def test_predict_outputs_and_empty_images():
    model = build_tiny().eval()
    samples = [make_sample(5, seed=0), make_sample(0), make_sample(2, seed=2)]
    with torch.no_grad():
        results = model.predict(inputs_for(samples), samples)
    for sample, n in zip(results, (5, 0, 2)):
        pred = sample.pred_instances
        assert pred.masks.shape == (n, 512, 384)
        assert pred.masks.dtype == torch.bool
        assert pred.scores.shape == (n, ) and pred.bboxes.shape == (n, 4)
        assert pred.labels.shape == (n, ) and pred.labels.dtype == torch.long
        assert torch.equal(pred.prompt_types,
                           sample.gt_instances.prompt_types)
    pred = results[0].pred_instances
    for mask, box in zip(pred.masks, pred.bboxes):
        if mask.any():
            ys, xs = torch.where(mask)
            assert box.tolist() == [
                xs.min().item(), ys.min().item(), xs.max().item() + 1,
                ys.max().item() + 1
            ]
        else:
            assert box.tolist() == [0, 0, 0, 0]
    # rescale=False keeps the resized frame.
    with torch.no_grad():
        small = model.predict(inputs_for(samples), samples, rescale=False)
    assert small[0].pred_instances.masks.shape == (5, SIZE, 192)


def test_predict_and_forward_on_a_batch_without_prompts():
    # Validation and testing run one image per batch: an image without
    # annotations is a whole batch without prompts.
    model = build_tiny().eval()
    samples = [make_sample(0)]
    with torch.no_grad():
        pred = model.predict(inputs_for(samples), samples)[0].pred_instances
        logits, scores = model._forward(inputs_for(samples), samples)
    assert pred.masks.shape == (0, 512, 384) and pred.scores.shape == (0, )
    assert pred.bboxes.shape == (0, 4)
    assert logits.shape == (0, 64, 64) and scores.shape == (0, )


def test_predict_upsamples_logits_before_thresholding():
    model = build_tiny().eval()
    sample = make_sample(1, img_shape=(SIZE, 192), ori_shape=(512, 384))
    inputs = inputs_for([sample])
    with torch.no_grad():
        logits, _ = model._forward(inputs, [sample])
        masks = model.predict(inputs, [sample])[0].pred_instances.masks
    up = torch.nn.functional.interpolate(
        logits[:, None], (SIZE, SIZE), mode='bilinear')[..., :SIZE, :192]
    up = torch.nn.functional.interpolate(up, (512, 384), mode='bilinear')
    assert torch.equal(masks, up[:, 0] > 0)


def test_square_resize_without_keeping_the_ratio():
    # MedSAM's protocol (configs/baselines/medsam_vitb_zeroshot_box.py): the
    # image fills the whole input, predictions are stretched back.
    model = build_tiny().eval()
    sample = make_sample(2, img_shape=(SIZE, SIZE), ori_shape=(512, 384))
    inputs = inputs_for([sample])
    with torch.no_grad():
        logits, _ = model._forward(inputs, [sample])
        masks = model.predict(inputs, [sample])[0].pred_instances.masks
    up = torch.nn.functional.interpolate(
        logits[:, None], (SIZE, SIZE), mode='bilinear')
    up = torch.nn.functional.interpolate(up, (512, 384), mode='bilinear')
    assert torch.equal(masks, up[:, 0] > 0)


def test_padding_in_the_pipeline_is_removed_from_predictions():
    # mmdet's Pad transform sets img_shape to the padded size; the padding must
    # still be cropped before resizing to the original image.
    model = build_tiny().eval()
    sample = make_sample(2)
    padded = make_sample(2)
    padded.set_metainfo(dict(img_shape=(SIZE, SIZE)))
    inputs = inputs_for([sample])
    with torch.no_grad():
        expected = model.predict(inputs, [sample])[0].pred_instances.masks
        masks = model.predict(inputs, [padded])[0].pred_instances.masks
        small = model.predict(inputs, [padded], rescale=False)
    assert torch.equal(masks, expected)
    assert small[0].pred_instances.masks.shape == (2, SIZE, 192)


def test_many_instances_and_points_chunked_predict_matches():
    model = build_tiny(test_cfg=dict(instance_chunk_size=7)).eval()
    sample = make_sample(120, num_points=5, seed=3)
    inputs = inputs_for([sample])
    with torch.no_grad():
        chunked = model._forward(inputs, [sample])
        model.test_cfg['instance_chunk_size'] = 1000
        whole = model._forward(inputs, [sample])
    assert chunked[0].shape == (120, 64, 64)
    assert torch.allclose(chunked[0], whole[0], atol=1e-4)
    assert torch.allclose(chunked[1], whole[1], atol=1e-5)


def test_batching_does_not_change_an_instance():
    """Padding of points and box slots across a batch is invisible."""
    model = build_tiny().eval()
    a = make_sample(1, num_points=1, types=[PromptType.POINT], seed=5)
    b = make_sample(3, num_points=4, types=[1, 2, 0], seed=6)
    inputs = inputs_for([a, b])
    with torch.no_grad():
        both = model._forward(inputs, [a, b])
        alone = model._forward(inputs[:1], [a])
    assert torch.allclose(both[0][0], alone[0][0], atol=1e-4)
    assert torch.allclose(both[1][0], alone[1][0], atol=1e-5)


def test_refinement_feeds_back_logits():
    model = build_tiny(test_cfg=dict(num_refine_rounds=2)).eval()
    samples = [make_sample(3)]
    calls = []
    decode = model.decode

    def spy(image_embeddings, prompts, mask_inputs=None):
        calls.append((mask_inputs, prompts.point_labels.shape))
        return decode(image_embeddings, prompts, mask_inputs)

    model.decode = spy
    with torch.no_grad():
        model.predict(inputs_for(samples), samples)
    assert len(calls) == 3
    assert calls[0][0] is None
    assert calls[1][0].shape == (3, 1, 64, 64)
    # No corrective clicks at test by default.
    assert calls[2][1] == calls[0][1]

    # Training: a click in each refinement round but the last, which feeds
    # the mask only, like test-time refinement.
    assert model.train_cfg['num_refine_rounds'] == 2
    calls.clear()
    model.loss(inputs_for(samples), samples)
    assert [c[1][1] for c in calls] == [2, 3, 3]
    assert all(c[0] is not None for c in calls[1:])
    model.train_cfg.update(mask_only_rounds=0)
    calls.clear()
    model.loss(inputs_for(samples), samples)
    assert [c[1][1] for c in calls] == [2, 3, 4]  # one click per round

    # Interactive evaluation: clicks from the ground truth at test too.
    model.test_cfg.update(corrective_clicks=True)
    calls.clear()
    with torch.no_grad():
        model.predict(inputs_for(samples), samples)
    assert [c[1][1] for c in calls] == [2, 3, 4]


def test_corrective_clicks_land_in_error_regions():
    torch.manual_seed(0)
    target = torch.zeros(3, 8, 8, dtype=torch.bool)
    target[:, 2:6, 2:6] = True
    pred = target.clone()
    pred[0, 2:6, 2:4] = False  # false negatives
    pred[1, 0, :] = True  # false positives
    valid = torch.ones_like(target)
    full_target = target.repeat_interleave(4, 1).repeat_interleave(4, 2)
    for _ in range(20):
        coords, labels = sample_corrective_clicks(pred, target, valid,
                                                  full_target)
        assert coords.shape == (3, 1, 2) and labels.shape == (3, 1)
        x, y = coords[0, 0] // 4
        assert labels[0, 0] == 1 and 2 <= y < 6 and 2 <= x < 4
        x, y = coords[1, 0] // 4
        assert labels[1, 0] == 0 and y == 0
        assert labels[2, 0] == -1  # perfect prediction: padding click
        assert ((coords >= 0) & (coords < 32)).all()
    # Errors in the padding are ignored.
    valid[1, 0] = False
    _, labels = sample_corrective_clicks(pred, target, valid, full_target)
    assert labels[1, 0] == -1


@pytest.mark.parametrize('axis', [0, 1])
def test_corrective_clicks_on_a_one_pixel_wide_structure(axis):
    """A vessel wall one pixel wide: every positive click lands on it.

    Pooled to the 4x4 cells it vanishes, so a structure at least two pixels
    wide in one cell is used to make the low-res target positive there;
    within the cell only its pixels may be clicked.
    """
    torch.manual_seed(0)
    full = torch.zeros(1, 32, 32, dtype=torch.bool)
    line = (slice(None), slice(8, 24), slice(13, 14))  # column x = 13
    full[line if axis == 0 else (line[0], line[2], line[1])] = True
    # Cells 3 (pixels 12..15) hold the line: mark them positive at low res,
    # as a wider structure pooled there would be.
    target = torch.zeros(1, 8, 8, dtype=torch.bool)
    cells = (slice(None), slice(2, 6), slice(3, 4))
    target[cells if axis == 0 else (cells[0], cells[2], cells[1])] = True
    pred = torch.zeros_like(target)
    valid = torch.ones_like(target)
    for _ in range(50):
        coords, labels = sample_corrective_clicks(pred, target, valid, full)
        x, y = coords[0, 0].long().tolist()
        assert labels[0, 0] == 1 and full[0, y, x]


def test_corrective_clicks_stay_inside_the_image():
    # 190 px wide in a 256 input: low-res cell 47 (pixels 188..191) straddles
    # the border and gets no click.
    model = build_tiny()
    sample = make_sample(3, img_shape=(SIZE, 190), ori_shape=(SIZE, 190))
    indices = torch.zeros(3, dtype=torch.long)
    valid = valid_click_cells([sample], indices, model.input_size,
                              model.low_res_size)
    assert valid.shape == (3, 64, 64)
    assert valid[:, :, :47].all() and not valid[:, :, 47:].any()
    target = torch.ones(3, 64, 64, dtype=torch.bool)
    full_target = torch.ones(3, SIZE, SIZE, dtype=torch.bool)
    for _ in range(20):
        coords, labels = sample_corrective_clicks(
            torch.zeros_like(target), target, valid, full_target)
        assert (labels == 1).all() and (coords[..., 0] < 190).all()


def test_instance_subset_keeps_prompts_and_masks_aligned():
    model = build_tiny(train_cfg=dict(max_instances_per_image=2))
    samples = [make_sample(5, seed=1), make_sample(1, seed=2)]
    torch.manual_seed(0)
    keep = random_instance_subset(samples, 2)
    assert [len(k) for k in keep] == [2, 1]
    full_prompts = PromptBatch.from_data_samples(samples, model.device)
    full_masks = gt_masks_from_data_samples(samples, model.input_size,
                                            model.device)
    prompts = PromptBatch.from_data_samples(samples, model.device, keep)
    masks = gt_masks_from_data_samples(samples, model.input_size,
                                       model.device, keep)
    index = torch.cat([keep[0], keep[1] + 5])
    assert torch.equal(prompts.point_coords, full_prompts.point_coords[index])
    assert torch.equal(prompts.image_indices, torch.tensor([0, 0, 1]))
    assert torch.equal(masks, full_masks[index])


def test_multimask_auto_rule():
    prompts = PromptBatch(
        point_coords=torch.zeros(3, 2, 2),
        point_labels=torch.tensor([[1, -1], [1, 0], [-1, -1]]),
        boxes=torch.zeros(3, 4),
        box_valid=torch.tensor([False, False, True]),
        image_indices=torch.zeros(3, dtype=torch.long))
    assert prompts.multimask_flags('auto', False).tolist() == [
        True, False, False
    ]
    assert not prompts.multimask_flags('auto', True).any()
    assert prompts.multimask_flags(True, True).all()


def test_config_errors():
    with pytest.raises(KeyError, match='unknown train_cfg'):
        build_tiny(train_cfg=dict(num_rounds=1))
    with pytest.raises(ValueError, match='multimask_output'):
        build_tiny(test_cfg=dict(multimask_output='yes'))
    model = build_tiny()
    with pytest.raises(ValueError, match='pad_size_divisor'):
        model.extract_feat(torch.zeros(1, 3, 128, 128))


def test_training_steps_lower_the_loss():
    """A few AdamW steps through the data preprocessor on a fixed batch."""
    model = build_tiny(seed=0)
    samples = [make_sample(3, seed=10), make_sample(2, seed=11)]
    data = dict(
        inputs=[lesion_image(s, seed=i) for i, s in enumerate(samples)],
        data_samples=samples)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def evaluate():
        torch.manual_seed(123)  # same corrective clicks every time
        with torch.no_grad():
            batch = model.data_preprocessor(data, training=True)
            return sum(model(**batch, mode='loss').values()).item()

    model.train()
    before = evaluate()
    torch.manual_seed(0)
    for _ in range(15):
        batch = model.data_preprocessor(data, training=True)
        loss = sum(model(**batch, mode='loss').values())
        optim.zero_grad()
        loss.backward()
        optim.step()
    after = evaluate()
    print(f'tiny model loss before {before:.4f} after {after:.4f}')
    assert after < 0.7 * before


@pytest.mark.parametrize('mode', ['loss', 'predict'])
def test_instances_without_prompts_are_refused(mode):
    """A pipeline ending in PackDetInputs leaves instances with no prompt."""
    model = build_tiny()
    sample = make_sample(2)
    sample.set_metainfo(dict(img_path='scan_017.png'))
    del sample.gt_instances.point_coords
    del sample.gt_instances.point_labels
    del sample.gt_instances.prompt_boxes
    del sample.gt_instances.prompt_types
    inputs = torch.zeros(1, 3, SIZE, SIZE)
    with pytest.raises(ValueError,
                       match=r'scan_017.png.*2 of 2 instances have neither '
                       r'a point .* nor a box.*PackPromptInputs'):
        with torch.no_grad():
            getattr(model, mode)(inputs, [sample])
    # Only padding points (label -1) and a point-only prompt type: refused.
    sample = make_sample(1, types=[PromptType.POINT])
    sample.gt_instances.point_labels[:] = -1
    with pytest.raises(ValueError, match='neither a point'):
        with torch.no_grad():
            getattr(model, mode)(inputs, [sample])
