"""TOODHead: deformable sampling, task decomposition, alignment targets, epochs, errors."""
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

from detkit.models import build_head
from detkit.models.dense_heads.tood_head import (
    TaskDecomposition,
    deform_sampling,
    sigmoid_geometric_mean,
)


def make_head(**kw):
    cfg = dict(type='TOODHead', num_classes=3, in_channels=16, feat_channels=16, stacked_convs=2,
               norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
               anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                                     scales_per_octave=1, strides=[8, 16, 32]),
               bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                               target_stds=[0.1, 0.1, 0.2, 0.2]),
               loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True, activated=True,
                             beta=2.0, loss_weight=1.0),
               loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
               train_cfg=dict(initial_epoch=4, initial_assigner=dict(type='ATSSAssigner', topk=9),
                              assigner=dict(type='TaskAlignedAssigner', topk=13), alpha=1,
                              beta=6, allowed_border=-1, pos_weight=-1, debug=False),
               test_cfg=dict(nms_pre=100, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.6),
                             max_per_img=20))
    cfg.update(kw)
    return build_head(cfg)


@pytest.mark.parametrize('hw', [(5, 7), (1, 2), (2, 1)])
def test_deform_sampling_equals_grouped_deform_conv(hw):
    # MMDetection samples with a 1x1 deformable conv, one group per channel, unit weights
    torch.manual_seed(0)
    feat = torch.randn(2, 4, *hw, dtype=torch.float64)
    offset = torch.randn(2, 8, *hw, dtype=torch.float64) * 2
    ref = deform_conv2d(feat, offset, torch.ones(4, 1, 1, 1, dtype=torch.float64))
    torch.testing.assert_close(deform_sampling(feat, offset), ref)


def test_deform_sampling_gradients():
    torch.manual_seed(0)
    feat = torch.randn(1, 4, 3, 4, dtype=torch.float64, requires_grad=True)
    # keep the positions off the integer grid, where bilinear interpolation has kinks
    offset = (torch.rand(1, 8, 3, 4, dtype=torch.float64) * 0.8 + 0.1).requires_grad_()
    assert torch.autograd.gradcheck(deform_sampling, (feat, offset))


def test_sigmoid_geometric_mean_values_and_gradient():
    x = torch.tensor([0.0, 2.0, -30.0, -200.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, -1.0, -30.0, 5.0], dtype=torch.float64, requires_grad=True)
    z = sigmoid_geometric_mean(x, y)
    torch.testing.assert_close(z.detach(), (x.sigmoid() * y.sigmoid()).sqrt().detach())
    z.sum().backward()
    # d/dx sqrt(s(x) s(y)) = z (1 - s(x)) / 2, finite even where z underflows
    torch.testing.assert_close(x.grad, (z * (1 - x.sigmoid()) / 2).detach())
    torch.testing.assert_close(y.grad, (z * (1 - y.sigmoid()) / 2).detach())
    assert torch.isfinite(x.grad).all()


def test_task_decomposition_equals_weighted_concat_then_conv():
    torch.manual_seed(0)
    td = TaskDecomposition(8, 3, la_down_rate=4,
                           norm_cfg=dict(type='GN', num_groups=2, requires_grad=True)).double()
    for p in td.parameters():
        torch.nn.init.normal_(p, std=0.3)
    feat = torch.randn(2, 24, 5, 6, dtype=torch.float64)
    out = td(feat)
    # reference: weigh each tower output by its attention, then the 1x1 conv, GN, ReLU
    att = td.layer_attention(F.adaptive_avg_pool2d(feat, 1))  # (2, 3, 1, 1)
    weighted = (feat.reshape(2, 3, 8, 5, 6) * att.reshape(2, 3, 1, 1, 1)).reshape(2, 24, 5, 6)
    ref = F.relu(td.reduction_conv.gn(F.conv2d(weighted, td.reduction_conv.conv.weight)))
    torch.testing.assert_close(out, ref)
    assert td.reduction_conv.conv.bias is None


def test_forward_outputs_are_probabilities_and_boxes():
    torch.manual_seed(0)
    head = make_head()
    head.init_weights()
    feats = [torch.randn(2, 16, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    cls_scores, bbox_preds = head(feats)
    assert all(((c > 0) & (c < 1)).all() for c in cls_scores)
    for b in bbox_preds:
        assert (b[:, 2] >= b[:, 0]).all() and (b[:, 3] >= b[:, 1]).all()
    # at init (tood_reg ~ 0, offsets ~ 0) an anchor-free box is about the anchor's size,
    # exp(0) = 1 stride around its centre
    centre = bbox_preds[0][0, :, 3, 4]
    torch.testing.assert_close(centre, torch.tensor([3., 2., 5., 4.]), atol=0.25, rtol=0)


def _alignment_brute_force(assign_result, pos_inds, pos_gt_inds):
    out = {}
    for g in set(pos_gt_inds.tolist()):
        idx = [int(i) for i, gi in zip(pos_inds, pos_gt_inds) if gi == g]
        m = assign_result.assign_metrics[idx]
        iou = assign_result.max_overlaps[idx]
        for i, v in zip(idx, (m / (m.max() + 10e-8) * iou.max()).tolist()):
            out[i] = v
    return out


def test_alignment_targets_normalised_per_gt():
    torch.manual_seed(0)
    head = make_head()
    head.init_weights()
    head.epoch = 5
    feats = [torch.randn(1, 16, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    metas = [dict(img_shape=(128, 160, 3), pad_shape=(128, 160, 3), scale_factor=1.0)]
    gts = torch.tensor([[4., 6., 30., 40.], [40., 10., 100., 60.], [2., 2., 150., 120.]])
    labels = torch.tensor([0, 2, 1])
    cls_scores, bbox_preds = head(feats)
    flat_cls = torch.cat([c.permute(0, 2, 3, 1).reshape(1, -1, 3) for c in cls_scores], 1)
    flat_box = torch.cat([b.permute(0, 2, 3, 1).reshape(1, -1, 4) * s[0]
                          for b, s in zip(bbox_preds, head.prior_generator.strides)], 1)
    anchors = torch.cat(head.prior_generator.grid_priors([c.shape[-2:] for c in cls_scores]))
    flags = torch.ones(len(anchors), dtype=torch.bool)
    _, lab, _, targets, metrics = head._get_target_single(
        flat_cls[0].detach(), flat_box[0].detach(), anchors, flags, gts, None, labels, metas[0])
    result = head.alignment_assigner.assign(flat_cls[0].detach(), flat_box[0].detach(), anchors,
                                            gts, None, labels, 1, 6)
    pos_inds = (result.gt_inds > 0).nonzero().squeeze(1)
    assert len(pos_inds) > 0
    exp = _alignment_brute_force(result, pos_inds, result.gt_inds[pos_inds] - 1)
    got = {int(i): float(metrics[i]) for i in pos_inds}
    assert got.keys() == exp.keys()
    for i in exp:
        assert got[i] == pytest.approx(exp[i], rel=1e-6, abs=1e-12)
    assert torch.equal(lab[pos_inds], labels[result.gt_inds[pos_inds] - 1])
    assert torch.equal(targets[pos_inds], gts[result.gt_inds[pos_inds] - 1])
    assert (metrics[lab == 3] == 0).all()


@pytest.mark.parametrize('epoch', [0, 4])
def test_losses_before_and_after_initial_epoch(epoch):
    torch.manual_seed(0)
    head = make_head()
    head.init_weights()
    head.epoch = epoch
    feats = [torch.randn(2, 16, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    metas = [dict(img_shape=(128, 160, 3), pad_shape=(128, 160, 3), scale_factor=1.0)] * 2
    gts = [torch.tensor([[4., 6., 30., 40.], [40., 10., 100., 60.]]), torch.zeros(0, 4)]
    labels = [torch.tensor([0, 2]), torch.zeros(0, dtype=torch.long)]
    losses = head.loss(*head(feats), gts, labels, metas)
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    assert all(len(v) == 3 for v in losses.values())
    assert all(torch.isfinite(x) for v in losses.values() for x in v)
    assert sum(losses['loss_bbox']) > 0 and sum(losses['loss_cls']) > 0


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match='anchor_type'):
        make_head(anchor_type='anchorless')
    with pytest.raises(ValueError, match='num_dcn'):
        make_head(num_dcn=2)
    with pytest.raises(KeyError, match='initial_epoch'):
        make_head(train_cfg=dict(initial_assigner=dict(type='ATSSAssigner', topk=9),
                                 assigner=dict(type='TaskAlignedAssigner', topk=13), alpha=1,
                                 beta=6, allowed_border=-1, pos_weight=-1))
