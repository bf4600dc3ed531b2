"""BBoxHead: targets, losses (hand-computed in float64), decoding, class-wise regression."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from detkit.models.roi_heads import BBoxHead

C = 3


def make_head(**kwargs):
    cfg = dict(with_avg_pool=True, in_channels=4, roi_feat_size=2, num_classes=C,
               loss_bbox=dict(type='L1Loss', loss_weight=1.0))
    cfg.update(kwargs)
    return BBoxHead(**cfg).double()


def encode(p, g, stds=(0.1, 0.1, 0.2, 0.2)):
    """DeltaXYWH by hand, float64."""
    pw, ph = p[2] - p[0], p[3] - p[1]
    px, py = p[0] + 0.5 * pw, p[1] + 0.5 * ph
    gw, gh = g[2] - g[0], g[3] - g[1]
    gx, gy = g[0] + 0.5 * gw, g[1] + 0.5 * gh
    d = [(gx - px) / pw, (gy - py) / ph, np.log(gw / pw), np.log(gh / ph)]
    return [v / s for v, s in zip(d, stds)]


def sampling_results():
    t = lambda x: torch.tensor(x, dtype=torch.float64).reshape(-1, 4)  # noqa: E731
    res0 = SimpleNamespace(pos_bboxes=t([[0, 0, 10, 10], [5, 5, 25, 15]]),
                           neg_bboxes=t([[50, 50, 60, 70]]),
                           pos_gt_bboxes=t([[1, 1, 11, 12], [4, 6, 24, 16]]),
                           pos_gt_labels=torch.tensor([2, 0]))
    res1 = SimpleNamespace(pos_bboxes=t([]), neg_bboxes=t([[0, 0, 5, 5], [1, 1, 9, 9]]),
                           pos_gt_bboxes=t([]), pos_gt_labels=torch.zeros(0, dtype=torch.long))
    return [res0, res1]


def test_get_targets_by_hand():
    head = make_head()
    labels, label_weights, bbox_targets, bbox_weights = head.get_targets(
        sampling_results(), None, None, dict(pos_weight=-1))
    assert labels.tolist() == [2, 0, C, C, C]
    assert label_weights.tolist() == [1, 1, 1, 1, 1]
    expected = torch.zeros(5, 4, dtype=torch.float64)
    expected[0] = torch.tensor(encode([0, 0, 10, 10], [1, 1, 11, 12]))
    expected[1] = torch.tensor(encode([5, 5, 25, 15], [4, 6, 24, 16]))
    torch.testing.assert_close(bbox_targets, expected)
    assert bbox_weights.tolist() == [[1] * 4, [1] * 4, [0] * 4, [0] * 4, [0] * 4]
    _, label_weights, _, _ = head.get_targets(sampling_results(), None, None,
                                              dict(pos_weight=2.))
    assert label_weights.tolist() == [2, 2, 1, 1, 1]
    per_image = head.get_targets(sampling_results(), None, None, dict(pos_weight=-1),
                                 concat=False)
    assert [len(x) for x in per_image[0]] == [3, 2]
    # reg_decoded_bbox regresses the gt boxes themselves
    head = make_head(reg_decoded_bbox=True)
    _, _, bbox_targets, _ = head.get_targets(sampling_results(), None, None, dict(pos_weight=-1))
    assert bbox_targets[:2].tolist() == [[1, 1, 11, 12], [4, 6, 24, 16]]


def test_loss_by_hand():
    torch.manual_seed(0)
    head = make_head()
    targets = head.get_targets(sampling_results(), None, None, dict(pos_weight=-1))
    cls_score = torch.randn(5, C + 1, dtype=torch.float64)
    bbox_pred = torch.randn(5, 4 * C, dtype=torch.float64)
    losses = head.loss(cls_score, bbox_pred, torch.zeros(5, 5, dtype=torch.float64), *targets)
    labels, _, bbox_targets, _ = targets
    ce = -F.log_softmax(cls_score, 1)[torch.arange(5), labels].sum() / 5
    torch.testing.assert_close(losses['loss_cls'], ce)
    acc = (cls_score.argmax(1) == labels).double().mean() * 100
    torch.testing.assert_close(losses['acc'].double().reshape(()), acc)
    # L1 of the label's 4 deltas of each positive, averaged over all 5 samples
    l1 = ((bbox_pred[0, 8:12] - bbox_targets[0]).abs().sum()
          + (bbox_pred[1, 0:4] - bbox_targets[1]).abs().sum()) / 5
    torch.testing.assert_close(losses['loss_bbox'], l1)


def test_loss_without_positives_is_zero_with_gradient():
    head = make_head()
    res = sampling_results()[1:]
    targets = head.get_targets(res, None, None, dict(pos_weight=-1))
    x = torch.randn(2, 4, 2, 2, dtype=torch.float64)
    cls_score, bbox_pred = head(x)
    losses = head.loss(cls_score, bbox_pred, torch.zeros(2, 5, dtype=torch.float64), *targets)
    assert losses['loss_bbox'].item() == 0
    sum(losses[k].sum() for k in ('loss_cls', 'loss_bbox')).backward()
    assert head.fc_reg.weight.grad is not None and head.fc_reg.weight.grad.abs().sum() == 0
    assert head.fc_cls.weight.grad.abs().sum() > 0


def test_class_agnostic_loss_and_shapes():
    head = make_head(reg_class_agnostic=True)
    assert head.fc_reg.out_features == 4 and head.fc_cls.out_features == C + 1
    targets = head.get_targets(sampling_results(), None, None, dict(pos_weight=-1))
    bbox_pred = torch.randn(5, 4, dtype=torch.float64)
    losses = head.loss(torch.randn(5, C + 1, dtype=torch.float64), bbox_pred,
                       torch.zeros(5, 5, dtype=torch.float64), *targets)
    l1 = (bbox_pred[:2] - targets[2][:2]).abs().sum() / 5
    torch.testing.assert_close(losses['loss_bbox'], l1)


def test_forward_without_avg_pool_flattens():
    head = BBoxHead(in_channels=2, roi_feat_size=3, num_classes=C)
    assert head.fc_cls.in_features == 18
    cls_score, bbox_pred = head(torch.randn(4, 2, 3, 3))
    assert cls_score.shape == (4, C + 1) and bbox_pred.shape == (4, 4 * C)
    with pytest.raises(ValueError, match='with_cls and with_reg cannot both be False'):
        BBoxHead(with_cls=False, with_reg=False)


def test_get_bboxes_decode_rescale_and_nms():
    head = make_head()
    rois = torch.tensor([[0., 10., 10., 30., 50.], [0., 0., 0., 40., 20.]], dtype=torch.float64)
    cls_score = torch.tensor([[2., 0., 0., 0.], [0., 0., 3., 0.]], dtype=torch.float64)
    bbox_pred = torch.zeros(2, 4 * C, dtype=torch.float64)
    bbox_pred[0, 0] = 1.  # class 0 of roi 0: dx = 0.1 * 1 * w = +2 px
    bboxes, scores = head.get_bboxes(rois, cls_score, bbox_pred, (100, 100, 3), None)
    torch.testing.assert_close(scores, F.softmax(cls_score, 1))
    assert bboxes.shape == (2, 4 * C)
    assert bboxes[0, :4].tolist() == pytest.approx([12., 10., 32., 50.])
    assert bboxes[1, 4:8].tolist() == pytest.approx([0., 0., 40., 20.])
    sf = np.array([2., 4., 2., 4.], dtype=np.float32)
    rescaled, _ = head.get_bboxes(rois, cls_score, bbox_pred, (100, 100, 3), sf, rescale=True)
    assert rescaled[0, :4].tolist() == pytest.approx([6., 2.5, 16., 12.5])
    cfg = dict(score_thr=0.3, nms=dict(type='nms', iou_threshold=0.5), max_per_img=10)
    dets, labels = head.get_bboxes(rois, cls_score, bbox_pred, (100, 100, 3), None, cfg=cfg)
    p = F.softmax(cls_score, 1)
    # only (roi 0, class 0) and (roi 1, class 2) score above 0.3
    assert labels.tolist() == [2, 0]
    torch.testing.assert_close(dets[:, 4], torch.stack([p[1, 2], p[0, 0]]).to(dets.dtype))
    # clipping to the image
    small, _ = head.get_bboxes(rois, cls_score, bbox_pred, (15, 35, 3), None)
    assert small[1, 4:8].tolist() == pytest.approx([0., 0., 35., 15.])


def test_regress_by_class_and_refine_bboxes():
    head = make_head()
    rois = torch.tensor([[0., 0., 0., 10., 10.], [0., 0., 0., 10., 10.],
                         [1., 0., 0., 20., 20.]], dtype=torch.float64)
    bbox_pred = torch.zeros(3, 4 * C, dtype=torch.float64)
    bbox_pred[0, 4] = 10.   # roi 0, class 1: dx = 10 * 0.1 * 10 = +10
    bbox_pred[1, 9] = -5.   # roi 1, class 2: dy = -5 * 0.1 * 10 = -5
    bbox_pred[2, 0] = 5.    # roi 2, class 0: dx = 5 * 0.1 * 20 = +10
    labels = torch.tensor([1, 2, 0])
    meta = dict(img_shape=(100, 100, 3))
    new = head.regress_by_class(rois, labels, bbox_pred, meta)
    # roi 1 moves to y in [-5, 5] and is clipped to the image
    torch.testing.assert_close(new, torch.tensor([[0., 10, 0, 20, 10], [0, 0, 0, 10, 5],
                                                  [1, 10, 0, 30, 20]], dtype=torch.float64))
    boxes4 = head.regress_by_class(rois[:, 1:], labels, bbox_pred, meta)
    torch.testing.assert_close(boxes4, new[:, 1:])
    # image 0's first positive is a gt added as proposal: dropped
    refined = head.refine_bboxes(rois, labels, bbox_pred,
                                 [torch.tensor([1, 0], dtype=torch.uint8),
                                  torch.tensor([0], dtype=torch.uint8)], [meta, meta])
    assert len(refined) == 2
    torch.testing.assert_close(refined[0], new[1:2, 1:])
    torch.testing.assert_close(refined[1], new[2:, 1:])
