"""AnchorHead: hand-computed targets, losses against float64 formulas, sampling rules,
empty ground truth, anchors outside the image, and get_bboxes against a brute-force
reference (per-class NMS from torchvision)."""
import math

import numpy as np
import pytest
import torch
import torchvision

from detkit.models.dense_heads import AnchorHead

ASSIGNER = dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0,
                ignore_iof_thr=-1)
FOCAL = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)


def one_anchor_head(allowed_border=-1, loss_cls=FOCAL, sampler=None, num_classes=3):
    """One level, stride 16, one 16x16 anchor per cell centred on the cell's corner."""
    train_cfg = dict(assigner=ASSIGNER, allowed_border=allowed_border, pos_weight=-1)
    if sampler is not None:
        train_cfg['sampler'] = sampler
    return AnchorHead(num_classes, 4, anchor_generator=dict(type='AnchorGenerator', strides=[16],
                                                            ratios=[1.0], scales=[1.0]),
                      loss_cls=loss_cls, loss_bbox=dict(type='L1Loss', loss_weight=1.0),
                      train_cfg=train_cfg,
                      test_cfg=dict(nms_pre=5, score_thr=0.05, max_per_img=4,
                                    nms=dict(type='nms', iou_threshold=0.5)))


def meta(h=32, w=32):
    return dict(img_shape=(h, w, 3), pad_shape=(32, 32, 3), scale_factor=np.ones(4, np.float32))


def focal64(logits, labels, weights, num_classes, alpha=0.25, gamma=2.0):
    """Sigmoid focal loss summed over anchors and classes, float64 (labels == C: background)."""
    p = torch.sigmoid(logits.double())
    t = torch.zeros_like(p)
    fg = labels < num_classes
    t[fg, labels[fg]] = 1
    pt = torch.where(t == 1, p, 1 - p)
    at = torch.where(t == 1, torch.full_like(p, alpha), torch.full_like(p, 1 - alpha))
    return (-at * (1 - pt) ** gamma * torch.log(pt) * weights.double()[:, None]).sum()


def test_targets_hand_computed():
    head = one_anchor_head()
    # anchors of a 2x2 map: [-8,-8,8,8], [8,-8,24,8], [-8,8,8,24], [8,8,24,24]
    anchors, flags = head.get_anchors([(2, 2)], [meta()], device='cpu')
    assert anchors[0][0].tolist() == [[-8, -8, 8, 8], [8, -8, 24, 8], [-8, 8, 8, 24],
                                      [8, 8, 24, 24]]
    gt = torch.tensor([[10., 10., 22., 22.]])  # IoU 144/256 = 0.5625 with the last anchor, 0 else
    labels, lw, bt, bw, npos, nneg = head.get_targets(anchors, flags, [gt], [meta()],
                                                      gt_labels_list=[torch.tensor([2])])
    assert labels[0].tolist() == [[3, 3, 3, 2]]
    assert lw[0].tolist() == [[1, 1, 1, 1]]
    d = math.log(12 / 16)
    torch.testing.assert_close(bt[0][0, 3], torch.tensor([0., 0., d, d]))
    assert bt[0][0, :3].abs().sum() == 0
    assert bw[0].tolist() == [[[0] * 4, [0] * 4, [0] * 4, [1] * 4]]
    assert (npos, nneg) == (1, 3)


def test_allowed_border_zero_ignores_anchors_crossing_the_image():
    head = one_anchor_head(allowed_border=0)
    anchors, flags = head.get_anchors([(2, 2)], [meta()], device='cpu')
    gt = torch.tensor([[10., 10., 22., 22.]])
    labels, lw, *_ = head.get_targets(anchors, flags, [gt], [meta()],
                                      gt_labels_list=[torch.tensor([1])])
    # only [8, 8, 24, 24] lies inside the 32x32 image; the others get weight 0
    assert labels[0].tolist() == [[3, 3, 3, 1]] and lw[0].tolist() == [[0, 0, 0, 1]]
    # an image where no anchor fits: every weight is 0 and the loss is 0, not an error
    cls = torch.randn(1, 3, 2, 2, requires_grad=True)
    reg = torch.randn(1, 4, 2, 2, requires_grad=True)
    losses = head.loss([cls], [reg], [gt], [torch.tensor([1])], [meta(12, 12)])
    assert losses['loss_cls'][0].item() == 0 and losses['loss_bbox'][0].item() == 0


def test_loss_equals_float64_focal_and_l1():
    torch.manual_seed(0)
    head = one_anchor_head()
    cls = torch.randn(2, 3, 2, 2, requires_grad=True)
    reg = torch.randn(2, 4, 2, 2, requires_grad=True)
    gts = [torch.tensor([[10., 10., 22., 22.]]), torch.zeros(0, 4)]
    gls = [torch.tensor([2]), torch.zeros(0, dtype=torch.long)]
    losses = head.loss([cls], [reg], gts, gls, [meta(), meta()])
    assert set(losses) == {'loss_cls', 'loss_bbox'} and len(losses['loss_cls']) == 1
    labels = torch.tensor([3, 3, 3, 2, 3, 3, 3, 3])
    logits = cls.detach().permute(0, 2, 3, 1).reshape(-1, 3)
    # avg_factor: 1 positive in image 0, image 1 has none but counts 1 -> 2
    expected_cls = focal64(logits, labels, torch.ones(8), 3) / 2
    torch.testing.assert_close(losses['loss_cls'][0].double(), expected_cls, rtol=1e-5, atol=1e-6)
    d = math.log(12 / 16)
    pred = reg.detach()[0, :, 1, 1].double()
    expected_bbox = (pred - torch.tensor([0., 0., d, d], dtype=torch.float64)).abs().sum() / 2
    torch.testing.assert_close(losses['loss_bbox'][0].double(), expected_bbox, rtol=1e-5, atol=1e-6)
    (losses['loss_cls'][0] + losses['loss_bbox'][0]).backward()
    assert cls.grad.abs().sum() > 0 and reg.grad[1].abs().sum() == 0  # image 1: no positives


def test_sampling_rules():
    rs = dict(type='RandomSampler', num=4, pos_fraction=0.5, neg_pos_ub=-1,
              add_gt_as_proposals=False)
    ce = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)
    head = one_anchor_head(loss_cls=ce, sampler=rs, num_classes=1)
    assert head.sampling and type(head.sampler).__name__ == 'RandomSampler'
    assert not one_anchor_head(loss_cls=ce).sampling  # no sampler: every anchor counts
    with pytest.warns(UserWarning, match='sampler is ignored with FocalLoss'):
        head = one_anchor_head(sampler=rs)
    assert not head.sampling and type(head.sampler).__name__ == 'PseudoSampler'
    # with sampling, avg_factor = sampled positives + negatives: 1 + 3 for a 4-anchor image
    head = one_anchor_head(loss_cls=ce, sampler=rs, num_classes=1)
    cls = torch.zeros(1, 1, 2, 2)
    losses = head.loss([cls], [torch.zeros(1, 4, 2, 2)], [torch.tensor([[10., 10., 22., 22.]])],
                       [torch.tensor([0])], [meta()])
    # BCE of logit 0 is log 2 for each of the 4 sampled anchors, averaged over 4
    torch.testing.assert_close(losses['loss_cls'][0], torch.tensor(math.log(2)))


def test_softmax_head_has_background_channel():
    ce = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)
    head = one_anchor_head(loss_cls=ce, num_classes=3)
    assert head.cls_out_channels == 4 and head.conv_cls.out_channels == 4
    with pytest.raises(TypeError, match='num_classes must be an int'):
        one_anchor_head(num_classes=2.0)


def _reference_detections(cls, reg, anchors, coder, cfg, img_shape):
    """Brute force: per (anchor, class) pair, top nms_pre, decode, per-class NMS."""
    scores = cls.permute(1, 2, 0).reshape(-1, cls.size(0) // 1).sigmoid()
    deltas = reg.permute(1, 2, 0).reshape(-1, 4)
    pairs = [(scores[i, c].item(), i, c) for i in range(scores.size(0))
             for c in range(scores.size(1)) if scores[i, c] > cfg['score_thr']]
    pairs.sort(key=lambda p: -p[0])
    pairs = pairs[:cfg['nms_pre']]
    idx = torch.tensor([p[1] for p in pairs])
    boxes = coder.decode(anchors[idx], deltas[idx], max_shape=img_shape)
    s = torch.tensor([p[0] for p in pairs])
    lab = torch.tensor([p[2] for p in pairs])
    keep = torchvision.ops.batched_nms(boxes, s, lab, cfg['nms']['iou_threshold'])
    keep = keep[:cfg['max_per_img']]
    return torch.cat([boxes[keep], s[keep, None]], 1), lab[keep]


def test_get_bboxes_matches_brute_force():
    torch.manual_seed(1)
    head = one_anchor_head()
    head.test_cfg = dict(nms_pre=7, score_thr=0.2, max_per_img=5,
                         nms=dict(type='nms', iou_threshold=0.3))
    cls = torch.randn(2, 3, 3, 4)
    reg = torch.randn(2, 4, 3, 4) * 0.3
    metas = [meta(40, 50), dict(meta(30, 20), scale_factor=np.array([2, 4, 2, 4], np.float32))]
    anchors = head.prior_generator.grid_priors([(3, 4)], device='cpu')[0]
    for rescale in (False, True):
        results = head.get_bboxes([cls], [reg], img_metas=metas, rescale=rescale)
        for i, (dets, labels) in enumerate(results):
            ref, ref_labels = _reference_detections(cls[i], reg[i], anchors, head.bbox_coder,
                                                    head.test_cfg, metas[i]['img_shape'])
            if rescale:
                ref[:, :4] /= torch.from_numpy(metas[i]['scale_factor'])
            assert len(dets) > 0
            torch.testing.assert_close(dets, ref)
            assert labels.tolist() == ref_labels.tolist()
    # without NMS: (boxes, scores, labels) of the nms_pre candidates
    boxes, scores, labels = head.get_bboxes([cls], [reg], img_metas=metas, with_nms=False)[0]
    assert boxes.shape == (7, 4) and scores.shape == (7, ) and labels.shape == (7, )
    assert bool((scores[:-1] >= scores[1:]).all())
