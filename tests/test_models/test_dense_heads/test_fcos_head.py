"""FCOSHead: targets against a float64 brute force, losses, outputs, keys and errors."""
import math

import pytest
import torch

from detkit.models import build_head
from detkit.models.dense_heads import FCOSHead

STRIDES = (8, 16, 32)
RANGES = ((-1, 24), (24, 48), (48, 1e8))


def make_head(**kw):
    cfg = dict(type='FCOSHead', num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
               strides=STRIDES, regress_ranges=RANGES,
               norm_cfg=dict(type='GN', num_groups=2, requires_grad=True),
               test_cfg=dict(nms_pre=50, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                             max_per_img=20))
    cfg.update(kw)
    return build_head(cfg)


def brute_force_targets(points, ranges, strides_px, gts, labels, num_classes, center_sampling,
                        radius):
    """Loop over every point and every gt in float64: FCOS's rules written plainly."""
    out_labels, out_targets = [], []
    for (x, y), (lo, hi), s in zip(points.tolist(), ranges, strides_px):
        best, best_area = None, math.inf
        for j, (x1, y1, x2, y2) in enumerate(gts.tolist()):
            l, t, r, b = x - x1, y - y1, x2 - x, y2 - y
            if center_sampling:
                cx, cy, rad = (x1 + x2) / 2, (y1 + y2) / 2, s * radius
                inside = min(x - max(cx - rad, x1), y - max(cy - rad, y1),
                             min(cx + rad, x2) - x, min(cy + rad, y2) - y) > 0
            else:
                inside = min(l, t, r, b) > 0
            m = max(l, t, r, b)
            area = (x2 - x1) * (y2 - y1)
            if inside and lo <= m <= hi and area < best_area:
                best, best_area = j, area
        if best is None:
            out_labels.append(num_classes)
            out_targets.append(None)
        else:
            x1, y1, x2, y2 = gts[best].tolist()
            out_labels.append(int(labels[best]))
            out_targets.append([x - x1, y - y1, x2 - x, y2 - y])
    return out_labels, out_targets


@pytest.mark.parametrize('center_sampling', [False, True])
@pytest.mark.parametrize('norm_on_bbox', [False, True])
def test_targets_equal_brute_force(center_sampling, norm_on_bbox):
    head = make_head(center_sampling=center_sampling, norm_on_bbox=norm_on_bbox)
    sizes = [(8, 10), (4, 5), (2, 3)]
    points = head.prior_generator.grid_priors(sizes, dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    gts = []
    for n in (5, 0, 3):
        xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * torch.tensor([60., 50.],
                                                                            dtype=torch.float64)
        wh = 4 + torch.rand(n, 2, generator=g, dtype=torch.float64) * 50
        gts.append(torch.cat([xy, xy + wh], 1))
    # a box nested in another (smallest area wins) and two equal boxes (first wins)
    gts[2] = torch.cat([gts[2], torch.tensor([[10., 10., 70., 60.], [20., 20., 40., 36.],
                                              [20., 20., 40., 36.]], dtype=torch.float64)])
    labels = [torch.randint(0, 3, (len(b),), generator=g) for b in gts]
    lvl_labels, lvl_targets = head.get_targets(points, gts, labels)
    assert [lb.dtype for lb in lvl_labels] == [torch.long] * 3
    assert [t.shape for t in lvl_targets] == [(3 * h * w, 4) for h, w in sizes]

    flat_points = torch.cat(points)
    ranges = [r for r, (h, w) in zip(RANGES, sizes) for _ in range(h * w)]
    strides_px = [s for s, (h, w) in zip(STRIDES, sizes) for _ in range(h * w)]
    for i in range(3):
        exp_labels, exp_targets = brute_force_targets(flat_points, ranges, strides_px, gts[i],
                                                      labels[i], 3, center_sampling, 1.5)
        got_labels, got_targets = [], []
        for lvl, (h, w) in enumerate(sizes):
            n = h * w
            got_labels.append(lvl_labels[lvl][i * n:(i + 1) * n])
            t = lvl_targets[lvl][i * n:(i + 1) * n]
            got_targets.append(t * STRIDES[lvl] if norm_on_bbox else t)
        got_labels, got_targets = torch.cat(got_labels), torch.cat(got_targets)
        assert got_labels.tolist() == exp_labels
        pos = [k for k, t in enumerate(exp_targets) if t is not None]
        if i == 1:
            assert not pos
        else:
            assert len(pos) > 0
            torch.testing.assert_close(got_targets[pos],
                                       torch.tensor([exp_targets[k] for k in pos],
                                                    dtype=torch.float64))


def test_centerness_target_hand_values():
    head = make_head()
    t = torch.tensor([[1., 2., 3., 4.], [5., 5., 5., 5.], [2., 1., 8., 1.]])
    exp = torch.tensor([math.sqrt(1 / 3 * 2 / 4), 1.0, math.sqrt(2 / 8)])
    torch.testing.assert_close(head.centerness_target(t), exp)
    assert head.centerness_target(t[:0]).shape == (0,)


def test_forward_shapes_and_norm_on_bbox_stride():
    torch.manual_seed(0)
    head = make_head(norm_on_bbox=True, centerness_on_reg=True)
    feats = [torch.randn(2, 8, 8 // 2 ** i + 2, 10 // 2 ** i + 1) for i in range(3)]
    cls, reg, ctr = head(feats)
    assert [c.shape for c in cls] == [(2, 3) + f.shape[-2:] for f in feats]
    assert [r.shape[1] for r in reg] == [4] * 3 and [c.shape[1] for c in ctr] == [1] * 3
    assert all((r >= 0).all() for r in reg)
    head.eval()
    with torch.no_grad():
        _, reg_eval, _ = head(feats)
    for r, re, s in zip(reg, reg_eval, STRIDES):
        torch.testing.assert_close(re, r.detach() * s)
    # without norm_on_bbox the distances are exp(scale * x)
    head2 = make_head()
    head2.load_state_dict(head.state_dict())
    with torch.no_grad():
        x = feats[0]
        raw = head2.conv_reg(head2.reg_convs[0](x))
        torch.testing.assert_close(head2(feats)[1][0], raw.exp())


def test_loss_names_finite_and_empty_image_gradients():
    torch.manual_seed(0)
    head = make_head(center_sampling=True, norm_on_bbox=True, centerness_on_reg=True)
    head.init_weights()
    feats = [torch.randn(2, 8, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    metas = [dict(img_shape=(120, 160, 3), pad_shape=(128, 160, 3), scale_factor=1.0)] * 2
    # boxes for every level: small ones on P3, a medium one on P4, a large one on P5
    gts = [torch.tensor([[5., 6., 40., 50.], [30., 8., 70., 30.], [10., 10., 90., 80.],
                         [0., 0., 150., 120.]]), torch.zeros(0, 4)]
    labels = [torch.tensor([0, 2, 1, 1]), torch.zeros(0, dtype=torch.long)]
    losses = head.loss(*head(feats), gts, labels, metas)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name

    # no gt at all: zero box/centerness losses that still reach the graph
    head.zero_grad()
    empty = head.loss(*head(feats), [torch.zeros(0, 4)] * 2,
                      [torch.zeros(0, dtype=torch.long)] * 2, metas)
    assert empty['loss_bbox'].item() == 0 and empty['loss_centerness'].item() == 0
    assert empty['loss_cls'] > 0
    sum(empty.values()).backward()
    assert head.conv_cls.weight.grad.abs().sum() > 0


def test_loss_cls_avg_factor_is_num_pos():
    # logits of 0 everywhere: focal loss per entry is known in closed form
    head = make_head()
    for p in head.parameters():
        torch.nn.init.zeros_(p)
    feats = [torch.zeros(1, 8, 8 // 2 ** i, 10 // 2 ** i) for i in range(3)]
    gts = [torch.tensor([[4., 4., 30., 30.]])]
    labels = [torch.tensor([1])]
    cls, reg, ctr = head(feats)
    points = head.prior_generator.grid_priors([c.shape[-2:] for c in cls])
    lvl_labels, _ = head.get_targets(points, gts, labels)
    num_pos = int(sum((lb < 3).sum() for lb in lvl_labels))
    num_all = sum(lb.numel() for lb in lvl_labels)
    losses = head.loss(cls, reg, ctr, gts, labels, [dict(img_shape=(64, 80, 3))])
    # p = 0.5: a negative entry costs 0.75 * 0.25 * ln2, a positive one 0.25 * 0.25 * ln2
    neg, pos = 0.75 * 0.25 * math.log(2), 0.25 * 0.25 * math.log(2)
    exp = (num_pos * pos + (num_all * 3 - num_pos) * neg) / num_pos
    assert num_pos > 0
    torch.testing.assert_close(losses['loss_cls'].item(), exp, rtol=1e-5, atol=0)


def test_keys_and_old_checkpoint_names():
    head = make_head()
    keys = list(head.state_dict())
    assert keys[-9:] == ['conv_cls.weight', 'conv_cls.bias', 'conv_reg.weight', 'conv_reg.bias',
                         'conv_centerness.weight', 'conv_centerness.bias', 'scales.0.scale',
                         'scales.1.scale', 'scales.2.scale']
    # a checkpoint without version metadata, from when the predictors were fcos_*
    sd = {k.replace('conv_', 'fcos_') if k.startswith('conv_') else k: v.clone() + 1
          for k, v in head.state_dict().items()}
    fresh = make_head()
    fresh.load_state_dict(sd, strict=True)
    torch.testing.assert_close(fresh.conv_centerness.bias, head.conv_centerness.bias + 1)


def test_errors_are_clear():
    with pytest.raises(ValueError, match='dcn_on_last_conv'):
        make_head(dcn_on_last_conv=True)
    with pytest.raises(ValueError, match='regress_ranges'):
        make_head(regress_ranges=((-1, 64), (64, 1e8)))
    with pytest.raises(ValueError, match='conv_bias'):
        make_head(conv_bias='yes')
    assert isinstance(make_head(), FCOSHead)
