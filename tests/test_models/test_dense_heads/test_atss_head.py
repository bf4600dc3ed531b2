"""ATSSHead: centerness targets, ATSS targets, loss normalisation against references."""
import math

import pytest
import torch
from torchvision.ops import generalized_box_iou_loss

from detkit.models import build_head
from detkit.models.task_modules import build_assigner


def make_head(**kw):
    cfg = dict(type='ATSSHead', num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
               norm_cfg=dict(type='GN', num_groups=2, requires_grad=True),
               anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                                     scales_per_octave=1, strides=[8, 16, 32]),
               bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                               target_stds=[0.1, 0.1, 0.2, 0.2]),
               loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                             loss_weight=1.0),
               loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
               train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9), allowed_border=-1,
                              pos_weight=-1, debug=False),
               test_cfg=dict(nms_pre=100, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.6),
                             max_per_img=20))
    cfg.update(kw)
    return build_head(cfg)


GTS = torch.tensor([[4., 6., 30., 40.], [40., 10., 100., 60.], [2., 2., 150., 120.]])
LABELS = torch.tensor([0, 2, 1])
META = dict(img_shape=(128, 160, 3), pad_shape=(128, 160, 3), scale_factor=1.0)


def test_centerness_target_hand_values():
    head = make_head()
    anchors = torch.tensor([[0., 0., 10., 10.], [10., 10., 30., 20.]])
    gts = torch.tensor([[0., 0., 20., 10.], [5., 5., 45., 25.]])
    # centres (5, 5) and (20, 15): (l, t, r, b) = (5, 5, 15, 5) and (15, 10, 25, 10)
    exp = torch.tensor([math.sqrt(5 / 15 * 5 / 5), math.sqrt(15 / 25 * 10 / 10)])
    torch.testing.assert_close(head.centerness_target(anchors, gts), exp)
    with pytest.raises(FloatingPointError, match='outside its gt'):
        head.centerness_target(anchors[:1], torch.tensor([[6., 0., 9., 10.]]))


def test_targets_follow_the_atss_assigner():
    head = make_head()
    sizes = [(16, 20), (8, 10), (4, 5)]
    anchors, flags = head.get_anchors(sizes, [META], device='cpu')
    lvl_anchors, labels, label_w, targets, bbox_w, num_pos, num_neg = head.get_targets(
        anchors, flags, [GTS], [META], gt_labels_list=[LABELS])
    assert [a.shape for a in lvl_anchors] == [(1, h * w, 4) for h, w in sizes]
    flat = torch.cat(anchors[0])
    result = build_assigner(dict(type='ATSSAssigner', topk=9)).assign(
        flat, [h * w for h, w in sizes], GTS, None, LABELS)
    pos = result.gt_inds > 0
    lab, tgt = torch.cat(labels, 1)[0], torch.cat(targets, 1)[0]
    assert num_pos == int(pos.sum()) > 0 and num_neg == int((~pos).sum())
    assert torch.equal(lab[pos], LABELS[result.gt_inds[pos] - 1])
    assert (lab[~pos] == 3).all()
    # reg_decoded_bbox: the targets are the gt boxes themselves
    assert torch.equal(tgt[pos], GTS[result.gt_inds[pos] - 1])
    assert (torch.cat(label_w, 1) == 1).all()
    assert torch.equal(torch.cat(bbox_w, 1)[0][:, 0].bool(), pos)


def test_anchors_outside_the_image_get_no_weight():
    head = make_head(train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9),
                                    allowed_border=0, pos_weight=-1))
    meta = dict(img_shape=(64, 80, 3), pad_shape=(64, 80, 3), scale_factor=1.0)
    sizes = [(8, 10), (4, 5), (2, 3)]
    anchors, flags = head.get_anchors(sizes, [meta], device='cpu')
    _, labels, label_w, _, _, _, _ = head.get_targets(
        anchors, flags, [torch.tensor([[10., 10., 40., 40.]])], [meta],
        gt_labels_list=[torch.tensor([1])])
    flat = torch.cat(anchors[0])
    outside = (flat[:, 0] < 0) | (flat[:, 1] < 0) | (flat[:, 2] > 80) | (flat[:, 3] > 64)
    assert outside.any()
    assert (torch.cat(label_w, 1)[0][outside] == 0).all()
    assert (torch.cat(labels, 1)[0][outside] == 3).all()


def test_loss_bbox_is_centerness_weighted_giou_over_all_levels():
    torch.manual_seed(0)
    head = make_head()
    head.init_weights()
    feats = [torch.randn(1, 8, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    cls_scores, bbox_preds, centernesses = head(feats)
    losses = head.loss(cls_scores, bbox_preds, centernesses, [GTS], [LABELS], [META])
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    assert all(len(v) == 3 for v in losses.values())

    sizes = [c.shape[-2:] for c in cls_scores]
    anchors, flags = head.get_anchors(sizes, [META], device='cpu')
    lvl_anchors, labels, _, targets, _, num_pos, _ = head.get_targets(
        anchors, flags, [GTS], [META], gt_labels_list=[LABELS])
    giou, weights, bce = 0.0, 0.0, 0.0
    for lvl in range(3):
        pos = labels[lvl][0] < 3
        anc = lvl_anchors[lvl][0][pos]
        tgt = targets[lvl][0][pos]
        pred = bbox_preds[lvl].detach()[0].permute(1, 2, 0).reshape(-1, 4)[pos]
        boxes = head.bbox_coder.decode(anc, pred)
        w = head.centerness_target(anc, tgt)
        giou += (generalized_box_iou_loss(boxes, tgt, reduction='none') * w).sum()
        weights += w.sum()
        ctr = centernesses[lvl].detach()[0].permute(1, 2, 0).reshape(-1)[pos]
        bce += torch.nn.functional.binary_cross_entropy_with_logits(ctr, w, reduction='sum')
    torch.testing.assert_close(sum(losses['loss_bbox']).detach(), 2.0 * giou / weights,
                               rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(sum(losses['loss_centerness']).detach(), bce / num_pos,
                               rtol=1e-4, atol=1e-6)


def test_scores_times_centerness_at_test_time():
    head = make_head().eval()
    sizes = [(4, 5), (2, 3), (1, 2)]
    cls = [torch.full((1, 3, h, w), -8.0) for h, w in sizes]
    reg = [torch.zeros(1, 4, h, w) for h, w in sizes]
    ctr = [torch.zeros(1, 1, h, w) for h, w in sizes]
    cls[0][0, 1, 2, 3] = 2.0
    ctr[0][0, 0, 2, 3] = 1.0
    meta = dict(img_shape=(32, 40, 3), scale_factor=1.0)
    dets, labels = head.get_bboxes(cls, reg, ctr, img_metas=[meta])[0]
    assert labels[0] == 1
    exp = torch.sigmoid(torch.tensor(2.0)) * torch.sigmoid(torch.tensor(1.0))
    assert dets[0, 4] == pytest.approx(float(exp), rel=1e-6)
    # zero deltas decode to the anchor: 32 x 32 centred at (3 * 8, 2 * 8), clipped
    torch.testing.assert_close(dets[0, :4], torch.tensor([8., 0., 40., 32.]))
