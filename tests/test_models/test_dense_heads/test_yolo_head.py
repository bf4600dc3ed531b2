"""YOLOV3Head: MMDetection layout and init, grid targets against hand and brute-force
references, loss reductions, decoding against ``multiclass_nms``."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_head
from detkit.models.layers import bias_init_with_prob
from detkit.ops import multiclass_nms

NUM_CLASSES = 3
BASE_SIZES = [[(32, 32), (64, 64)], [(16, 16), (8, 32)], [(4, 4), (8, 8)]]


def small_head(**kw):
    cfg = dict(type='YOLOV3Head', num_classes=NUM_CLASSES, in_channels=[8, 8, 8],
               out_channels=[8, 8, 8],
               anchor_generator=dict(type='YOLOAnchorGenerator', base_sizes=BASE_SIZES,
                                     strides=[32, 16, 8]),
               bbox_coder=dict(type='YOLOBBoxCoder'), featmap_strides=[32, 16, 8],
               loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0,
                             reduction='sum'),
               loss_conf=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0,
                              reduction='sum'),
               loss_xy=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=2.0,
                            reduction='sum'),
               loss_wh=dict(type='MSELoss', loss_weight=2.0, reduction='sum'),
               train_cfg=dict(assigner=dict(type='GridAssigner', pos_iou_thr=0.5,
                                            neg_iou_thr=0.5, min_pos_iou=0)),
               test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05, conf_thr=0.005,
                             nms=dict(type='nms', iou_threshold=0.45), max_per_img=100))
    cfg.update(kw)
    head = build_head(cfg)
    head.init_weights()
    return head


def feats(batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 8, s, s, generator=g) for s in (2, 4, 8)]


def targets_of(head, gt_bboxes, gt_labels, sizes=((2, 2), (4, 4), (8, 8))):
    anchors = head.prior_generator.grid_priors(sizes, device='cpu')
    flags = [head.prior_generator.responsible_flags(sizes, gt, 'cpu') for gt in gt_bboxes]
    return head.get_targets([anchors] * len(gt_bboxes), flags, gt_bboxes, gt_labels)


def test_default_yolov3_layers_and_init_priors():
    head = build_head(dict(type='YOLOV3Head', num_classes=80, in_channels=[512, 256, 128],
                           out_channels=[1024, 512, 256]))
    shapes = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    assert shapes['convs_bridge.0.conv.weight'] == (1024, 512, 3, 3)
    assert shapes['convs_bridge.2.bn.running_var'] == (256, )
    assert shapes['convs_pred.0.weight'] == (255, 1024, 1, 1)
    assert 'convs_bridge.0.conv.bias' not in shapes  # BN follows: no conv bias
    head.init_weights()
    for conv, stride in zip(head.convs_pred, (32, 16, 8)):
        bias = conv.bias.detach().view(3, 85)
        assert torch.allclose(bias[:, 4], torch.tensor(
            bias_init_with_prob(8 / (608 / stride) ** 2)))
        assert torch.allclose(bias[:, 5:], torch.tensor(bias_init_with_prob(0.01)))
        assert torch.allclose(bias[:, :4], torch.zeros(3, 4))
        assert conv.weight.std().item() == pytest.approx(0.01, rel=0.1)


def test_grid_targets_hand_computed():
    """gt (8, 8, 40, 40): centre (24, 24). Its responsible anchors are those of cell
    (0, 0) at stride 32, (1, 1) at 16, (3, 3) at 8; the best of them is the 32x32
    anchor centred at (16, 16), IoU 576 / 1472 < 0.5, still positive as the gt's
    best. Target x, y: (24 - 16) / 32 + 0.5 = 0.75; w, h: log(32 / 32) = 0."""
    head = small_head()
    target_maps, neg_maps = targets_of(head, [torch.tensor([[8., 8., 40., 40.]])],
                                       [torch.tensor([2])])
    target = torch.cat(target_maps, 1)[0]
    neg = torch.cat(neg_maps, 1)[0]
    assert target.shape == (2 * 4 + 2 * 16 + 2 * 64, 5 + NUM_CLASSES)
    pos = target[:, 4].nonzero().view(-1)
    assert pos.tolist() == [0]  # level 0, cell (0, 0), anchor 0
    assert torch.allclose(target[0], torch.tensor([0.75, 0.75, 0., 0., 1., 0., 0., 1.]))
    # every other anchor overlaps the gt by IoU <= 0.5: all negatives
    assert neg[0] == 0 and neg[1:].all()


def _brute_force_targets(anchors, strides, flags, gt, labels, num_classes):
    """Per-anchor loop in float64 of GridAssigner + YOLOBBoxCoder + one-hot targets."""
    gt = gt.tolist()
    n, g = len(anchors), len(gt)
    iou = torch.zeros(g, n, dtype=torch.float64)
    for i in range(g):
        for j in range(n):
            a, b = anchors[j], gt[i]
            w = max(0., min(a[2], b[2]) - max(a[0], b[0]))
            h = max(0., min(a[3], b[3]) - max(a[1], b[1]))
            inter = w * h
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            iou[i, j] = inter / union
    assigned = [-1] * n
    for j in range(n):
        if g == 0 or iou[:, j].max() <= 0.5:
            assigned[j] = 0
    for j in range(n):
        if g and flags[j]:
            best = int(iou[:, j].argmax())
            if iou[best, j] > 0.5:
                assigned[j] = best + 1
    for i in range(g):  # each gt takes its best responsible anchor (last gt wins)
        resp = [j for j in range(n) if flags[j]]
        best_iou = max(iou[i, j] for j in resp)
        if best_iou > 0:
            for j in resp:
                if iou[i, j] == best_iou:  # gt_max_assign_all: every tied anchor
                    assigned[j] = i + 1
    target = torch.zeros(n, 5 + num_classes, dtype=torch.float64)
    neg = torch.zeros(n, dtype=torch.uint8)
    for j in range(n):
        if assigned[j] == 0:
            neg[j] = 1
        elif assigned[j] > 0:
            a, b, s = anchors[j], gt[assigned[j] - 1], strides[j]
            acx, acy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
            gcx, gcy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            clamp = lambda v: min(max(v, 1e-6), 1 - 1e-6)  # noqa: E731
            target[j, 0] = clamp((gcx - acx) / s + 0.5)
            target[j, 1] = clamp((gcy - acy) / s + 0.5)
            target[j, 2] = math.log((b[2] - b[0]) / (a[2] - a[0]))
            target[j, 3] = math.log((b[3] - b[1]) / (a[3] - a[1]))
            target[j, 4] = 1
            target[j, 5 + int(labels[assigned[j] - 1])] = 1
    return target, neg


def test_grid_targets_match_brute_force():
    head = small_head()
    g = torch.Generator().manual_seed(3)
    xy = torch.rand(5, 2, generator=g) * 40
    wh = torch.rand(5, 2, generator=g) * 30 + 3
    gt = torch.cat([xy, xy + wh], 1)
    labels = torch.randint(0, NUM_CLASSES, (5, ), generator=g)
    gt_bboxes = [gt, torch.zeros(0, 4)]
    gt_labels = [labels, torch.zeros(0, dtype=torch.long)]
    target_maps, neg_maps = targets_of(head, gt_bboxes, gt_labels)
    sizes = ((2, 2), (4, 4), (8, 8))
    anchors = torch.cat(head.prior_generator.grid_priors(sizes, device='cpu'))
    strides = [s for s, (h, w) in zip((32, 16, 8), sizes) for _ in range(h * w * 2)]
    for i in range(2):
        flags = torch.cat(head.prior_generator.responsible_flags(sizes, gt_bboxes[i], 'cpu'))
        ref_t, ref_n = _brute_force_targets(anchors.double().tolist(), strides, flags.tolist(),
                                            gt_bboxes[i].double(), gt_labels[i], NUM_CLASSES)
        ours_t = torch.cat(target_maps, 1)[i].double()
        ours_n = torch.cat(neg_maps, 1)[i]
        assert torch.allclose(ours_t, ref_t, atol=1e-5)
        assert torch.equal(ours_n, ref_n)
    assert torch.cat(target_maps, 1)[0, :, 4].sum() >= 5  # every gt got an anchor
    assert torch.cat(target_maps, 1)[1].abs().sum() == 0  # the empty image: no positive


def test_one_hot_smoother():
    head = small_head(one_hot_smoother=0.1)
    target_maps, _ = targets_of(head, [torch.tensor([[8., 8., 40., 40.]])], [torch.tensor([2])])
    cls_t = torch.cat(target_maps, 1)[0, 0, 5:]
    assert torch.allclose(cls_t, torch.tensor([0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3]))


def test_loss_values_match_reference():
    head = small_head()
    x = feats()
    (pred_maps, ) = head(x)
    gt_bboxes = [torch.tensor([[8., 8., 40., 40.], [30., 2., 60., 20.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([2, 0]), torch.zeros(0, dtype=torch.long)]
    metas = [dict(img_shape=(64, 64, 3), pad_shape=(64, 64, 3))] * 2
    losses = head.loss(pred_maps, gt_bboxes, gt_labels, metas)
    assert set(losses) == {'loss_cls', 'loss_conf', 'loss_xy', 'loss_wh'}
    target_maps, neg_maps = targets_of(head, gt_bboxes, gt_labels)
    for lvl, (pred, t, neg) in enumerate(zip(pred_maps, target_maps, neg_maps)):
        p = pred.detach().double().permute(0, 2, 3, 1).reshape(2, -1, 5 + NUM_CLASSES)
        t = t.double()
        pos = t[..., 4:5]
        bce = F.binary_cross_entropy_with_logits
        ref_cls = (bce(p[..., 5:], t[..., 5:], reduction='none') * pos).sum()
        ref_conf = (bce(p[..., 4], t[..., 4], reduction='none')
                    * (pos[..., 0] + neg.double()).clamp(max=1)).sum()
        ref_xy = 2 * (bce(p[..., :2], t[..., :2], reduction='none') * pos).sum()
        ref_wh = 2 * (((p[..., 2:4] - t[..., 2:4]) ** 2) * pos).sum()
        for name, ref in (('loss_cls', ref_cls), ('loss_conf', ref_conf),
                          ('loss_xy', ref_xy), ('loss_wh', ref_wh)):
            assert losses[name][lvl].item() == pytest.approx(ref.item(), rel=1e-5, abs=1e-7)
    total = sum(v for vs in losses.values() for v in vs)
    total.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())


def test_get_bboxes_equals_multiclass_nms_reference():
    head = small_head()
    with torch.no_grad():
        g = torch.Generator().manual_seed(1)
        for conv in head.convs_pred:
            # spread, mostly confident predictions, so many detections survive
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * 0.3)
            conv.bias.view(2, -1)[:, 4] = 1.0
            conv.bias.view(2, -1)[:, 5:] = -1.0
        (pred_maps, ) = head(feats(batch=1))
    metas = [dict(scale_factor=np.array([2., 2., 2., 2.], dtype=np.float32))]
    dets, labels = head.get_bboxes(pred_maps, metas, rescale=True)[0]

    # reference: MMDetection 2.25's recipe, decoded by hand
    anchors = torch.cat(head.prior_generator.grid_priors([p.shape[-2:] for p in pred_maps]))
    flat = torch.cat([p[0].permute(1, 2, 0).reshape(-1, 5 + NUM_CLASSES) for p in pred_maps])
    strides = torch.cat([torch.full((p.shape[-2] * p.shape[-1] * 2, ), float(s))
                         for p, s in zip(pred_maps, (32, 16, 8))])
    centre = ((anchors[:, :2] + anchors[:, 2:]) / 2
              + (flat[:, :2].sigmoid() - 0.5) * strides[:, None])
    half = (anchors[:, 2:] - anchors[:, :2]) / 2 * flat[:, 2:4].exp()
    boxes = torch.cat([centre - half, centre + half], 1) / 2
    conf = flat[:, 4].sigmoid()
    keep = conf >= 0.005
    scores = torch.cat([flat[:, 5:].sigmoid(), torch.zeros(len(flat), 1)], 1)
    ref_dets, ref_labels = multiclass_nms(boxes[keep], scores[keep], 0.05,
                                          dict(type='nms', iou_threshold=0.45), 100,
                                          score_factors=conf[keep])
    assert len(ref_dets) > 5
    assert torch.allclose(dets, ref_dets, atol=1e-4)
    assert torch.equal(labels, ref_labels)


def test_empty_detections_have_five_columns():
    head = small_head(test_cfg=dict(score_thr=0.99, conf_thr=0.999,
                                    nms=dict(type='nms', iou_threshold=0.45), max_per_img=10))
    (pred_maps, ) = head(feats(batch=1))
    dets, labels = head.get_bboxes(pred_maps, [dict(scale_factor=1.0)])[0]
    assert dets.shape == (0, 5) and labels.shape == (0, )
