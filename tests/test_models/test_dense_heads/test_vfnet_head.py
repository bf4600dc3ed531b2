"""VFNetHead: star offsets, the deformable conv against references, targets and losses."""
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_head
from detkit.models.dense_heads.vfnet_head import DeformConv2d


def make_head(**kw):
    cfg = dict(type='VFNetHead', num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
               strides=[8, 16, 32], regress_ranges=((-1, 32), (32, 64), (64, 1e8)),
               norm_cfg=dict(type='GN', num_groups=2, requires_grad=True),
               anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                                     scales_per_octave=1, center_offset=0.0,
                                     strides=[8, 16, 32]),
               train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9), allowed_border=-1,
                              pos_weight=-1, debug=False),
               test_cfg=dict(nms_pre=100, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.6),
                             max_per_img=20))
    cfg.update(kw)
    return build_head(cfg)


def test_star_offsets_hand_values():
    head = make_head()
    # one location with (l, t, r, b) = (16, 8, 32, 24) px at stride 8: (2, 1, 4, 3) cells
    bbox_pred = torch.tensor([16., 8., 32., 24.]).reshape(1, 4, 1, 1)
    offset = head.star_dcn_offset(bbox_pred, 0.1, 8).reshape(9, 2)
    # kernel point (row, col) lands on (y, x) in {-t, 0, b} x {-l, 0, r}; the regular
    # 3x3 grid position (row - 1, col - 1) is subtracted
    exp = []
    for r, y in enumerate((-1., 0., 3.)):
        for c, x in enumerate((-2., 0., 4.)):
            exp.append([y - (r - 1), x - (c - 1)])
    torch.testing.assert_close(offset, torch.tensor(exp))


def test_star_offsets_scale_the_gradient():
    head = make_head()
    bbox_pred = torch.full((1, 4, 1, 1), 8.0, requires_grad=True)
    head.star_dcn_offset(bbox_pred, 0.1, 8).sum().backward()
    # each side appears 3 times with sign +-1 (left/top negative), / stride, x gradient_mul
    torch.testing.assert_close(bbox_pred.grad.flatten(),
                               torch.tensor([-3., -3., 3., 3.]) * 0.1 / 8)


def test_deform_conv_zero_offset_is_conv_and_integer_offset_shifts():
    torch.manual_seed(0)
    conv = DeformConv2d(4, 5, 3, 1, padding=1)
    x = torch.randn(2, 4, 6, 7, dtype=torch.float64)
    w = conv.weight.detach().double()
    zero = torch.zeros(2, 18, 6, 7, dtype=torch.float64)
    conv = conv.double()
    torch.testing.assert_close(conv(x, zero), F.conv2d(x, w, padding=1))
    # every kernel point moved by +1 in x: the zero-padded image shifted left by 1
    shift = zero.clone()
    shift[:, 1::2] = 1.0
    padded = F.pad(x, (1, 1, 1, 1))
    shifted = torch.cat([padded[..., 1:], torch.zeros_like(padded[..., :1])], -1)
    torch.testing.assert_close(conv(x, shift), F.conv2d(shifted, w))
    assert 'bias' not in dict(conv.named_parameters())


@pytest.mark.parametrize('use_atss', [True, False])
def test_losses_and_iou_targets(use_atss):
    torch.manual_seed(0)
    head = make_head(use_atss=use_atss)
    head.init_weights()
    feats = [torch.randn(2, 8, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    metas = [dict(img_shape=(128, 160, 3), pad_shape=(128, 160, 3), scale_factor=1.0)] * 2
    gts = [torch.tensor([[4., 6., 30., 40.], [40., 10., 100., 60.], [2., 2., 150., 120.]]),
           torch.zeros(0, 4)]
    labels = [torch.tensor([0, 2, 1]), torch.zeros(0, dtype=torch.long)]
    cls_scores, bbox_preds, refine = head(feats)
    losses = head.loss(cls_scores, bbox_preds, refine, gts, labels, metas)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_bbox_rf'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())

    # the refined box is exp(refine) times the initial one, side by side
    assert all((r > 0).all() for r in refine)
    # targets: (l, t, r, b) from the points to their gt; positives lie inside their gt
    points = head.fcos_prior_generator.grid_priors([c.shape[-2:] for c in cls_scores])
    lvl_labels, _, lvl_targets, _ = head.get_targets(cls_scores, points, gts, labels, metas)
    flat_labels, flat_targets = torch.cat(lvl_labels), torch.cat(lvl_targets)
    pos = flat_labels < 3
    assert pos.sum() > 0
    assert (flat_targets[pos] > 0).all()
    if use_atss:
        # ATSS points are the anchor centres (center_offset=0): on the stride grid
        assert torch.equal(points[0][1], torch.tensor([8., 0.]))


def test_eval_outputs_and_errors():
    head = make_head().eval()
    feats = [torch.randn(1, 8, 4, 5), torch.randn(1, 8, 2, 3), torch.randn(1, 8, 1, 2)]
    with torch.no_grad():
        outs = head(feats)
    assert len(outs) == 2 and [o.shape[1] for o in outs[1]] == [4, 4, 4]
    with pytest.raises(ValueError, match='bbox_norm_type'):
        make_head(bbox_norm_type='size')
    with pytest.raises(ValueError, match='dcn_on_last_conv'):
        make_head(dcn_on_last_conv=True)
