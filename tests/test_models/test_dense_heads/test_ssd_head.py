"""SSDHead: MMDetection layout, hard negative mining against hand and brute-force
references, empty images, decoding."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_head

NUM_CLASSES = 3


def small_head(**kw):
    """Three levels (strides 8/16/32 on a 64x64 input), 4/6/4 anchors per cell."""
    cfg = dict(
        type='SSDHead', num_classes=NUM_CLASSES, in_channels=(8, 8, 8),
        anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False, input_size=64,
                              strides=[8, 16, 32], ratios=[[2], [2, 3], [2]],
                              min_sizes=[8, 20, 40], max_sizes=[20, 40, 64]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                     min_pos_iou=0., ignore_iof_thr=-1,
                                     gt_max_assign_all=False),
                       smoothl1_beta=1., allowed_border=-1, pos_weight=-1, neg_pos_ratio=3,
                       debug=False),
        test_cfg=dict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.45), min_bbox_size=0,
                      score_thr=0.02, max_per_img=20))
    cfg.update(kw)
    head = build_head(cfg)
    head.init_weights()
    return head


def feats(batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 8, s, s, generator=g) for s in (8, 4, 2)]


METAS = [dict(img_shape=(64, 64, 3), pad_shape=(64, 64, 3), ori_shape=(32, 32, 3),
              scale_factor=np.array([2., 2., 2., 2.], dtype=np.float32), flip=False,
              flip_direction=None)] * 2


def test_ssd300_default_layers_match_mmdetection():
    # the default anchor_generator (basesize_ratio_range (0.1, 0.9) at 300) is invalid in
    # MMDetection 2.25 too; configs/_base_/models/ssd300.py passes (0.15, 0.9)
    head = build_head(dict(type='SSDHead', num_classes=80, anchor_generator=dict(
        type='SSDAnchorGenerator', scale_major=False, input_size=300,
        basesize_ratio_range=(0.15, 0.9), strides=[8, 16, 32, 64, 100, 300],
        ratios=[[2], [2, 3], [2, 3], [2, 3], [2], [2]])))
    assert head.num_base_priors == [4, 6, 6, 6, 4, 4]
    shapes = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    # MMDetection's ssd300 checkpoint: a 3x3 predictor per level, 81 softmax outputs
    assert shapes['cls_convs.0.0.weight'] == (4 * 81, 512, 3, 3)
    assert shapes['cls_convs.1.0.weight'] == (6 * 81, 1024, 3, 3)
    assert shapes['reg_convs.5.0.weight'] == (4 * 4, 256, 3, 3)
    assert len(shapes) == 24
    assert head.cls_out_channels == 81 and not head.use_sigmoid_cls
    with pytest.warns(DeprecationWarning):
        assert head.num_anchors == [4, 6, 6, 6, 4, 4]


def test_ssdlite_depthwise_layers():
    head = small_head(use_depthwise=True, stacked_convs=1, feat_channels=16,
                      norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU6'))
    tower = head.cls_convs[0]
    # depthwise-separable stacked conv, depthwise 3x3, pointwise 1x1 predictor
    assert tower[0].depthwise_conv.conv.groups == 8
    assert tower[1].conv.groups == 16 and tower[1].conv.kernel_size == (3, 3)
    assert tower[2].kernel_size == (1, 1) and tower[2].out_channels == 4 * (NUM_CLASSES + 1)
    cls_scores, bbox_preds = head(feats())
    assert [tuple(c.shape) for c in cls_scores] == [(2, 16, 8, 8), (2, 24, 4, 4), (2, 16, 2, 2)]
    assert [tuple(b.shape) for b in bbox_preds] == [(2, 16, 8, 8), (2, 24, 4, 4), (2, 16, 2, 2)]


def test_hard_negative_mining_hand_computed():
    """One positive, five negatives: the loss keeps the 3 hardest negatives."""
    head = small_head()
    logits = torch.tensor([[2., 0., 0., 1.],   # positive of class 0
                           [0., 0., 0., 3.],   # easy negative
                           [1., 0., 0., 0.],   # hard
                           [0., 2., 0., 0.],   # hardest
                           [0., 0., 0., 2.],   # easy
                           [0., 0., 1., 0.]])  # hard
    labels = torch.tensor([0, 3, 3, 3, 3, 3])
    weights = torch.ones(6)
    zeros = torch.zeros(6, 4)
    loss_cls, loss_bbox = head.loss_single(logits, zeros, zeros, labels, weights, zeros,
                                           zeros, num_total_samples=2.0)

    def ce(row, label):
        return -row[label] + math.log(sum(math.exp(v) for v in row))

    rows = logits.tolist()
    neg = sorted((ce(rows[i], 3) for i in range(1, 6)), reverse=True)[:3]
    expected = (ce(rows[0], 0) + sum(neg)) / 2.0
    assert loss_cls.shape == (1, )
    assert loss_cls.item() == pytest.approx(expected, rel=1e-6)
    assert loss_bbox.item() == 0.0


def test_loss_matches_brute_force_reference():
    """Both images' losses equal a float64 per-anchor loop over the AnchorHead targets."""
    head = small_head()
    x = feats()
    cls_scores, bbox_preds = head(x)
    gt_bboxes = [torch.tensor([[4., 6., 30., 28.], [30., 20., 62., 60.]]),
                 torch.tensor([[10., 10., 22., 20.]])]
    gt_labels = [torch.tensor([0, 2]), torch.tensor([1])]
    losses = head.loss(cls_scores, bbox_preds, gt_bboxes, gt_labels, METAS)
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    assert len(losses['loss_cls']) == len(losses['loss_bbox']) == 2  # one per image

    sizes = [c.shape[-2:] for c in cls_scores]
    anchor_list, valid_list = head.get_anchors(sizes, METAS, device='cpu')
    labels, label_w, bbox_t, bbox_w, num_pos, _ = head.get_targets(
        anchor_list, valid_list, gt_bboxes, METAS, gt_labels_list=gt_labels)
    labels = torch.cat(labels, 1)
    bbox_t = torch.cat(bbox_t, 1).double()
    bbox_w = torch.cat(bbox_w, 1).double()
    for i in range(2):
        scores = torch.cat([c[i].permute(1, 2, 0).reshape(-1, NUM_CLASSES + 1)
                            for c in cls_scores]).double().detach()
        deltas = torch.cat([b[i].permute(1, 2, 0).reshape(-1, 4)
                            for b in bbox_preds]).double().detach()
        pos_losses, neg_losses = [], []
        for n in range(scores.size(0)):
            ce = -F.log_softmax(scores[n], 0)[labels[i, n]].item()
            (pos_losses if labels[i, n] < NUM_CLASSES else neg_losses).append(ce)
        assert len(pos_losses) > 0
        neg_losses.sort(reverse=True)
        ref_cls = (sum(pos_losses) + sum(neg_losses[:3 * len(pos_losses)])) / num_pos
        diff = (deltas - bbox_t[i]).abs()
        sl1 = torch.where(diff < 1.0, 0.5 * diff ** 2, diff - 0.5) * bbox_w[i]
        ref_bbox = sl1.sum().item() / num_pos
        assert losses['loss_cls'][i].item() == pytest.approx(ref_cls, rel=1e-5)
        assert losses['loss_bbox'][i].item() == pytest.approx(ref_bbox, rel=1e-5)


def test_image_without_gt_gives_zero_loss_and_no_nan():
    head = small_head()
    cls_scores, bbox_preds = head(feats())
    gt_bboxes = [torch.tensor([[4., 6., 30., 28.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([1]), torch.zeros(0, dtype=torch.long)]
    losses = head.loss(cls_scores, bbox_preds, gt_bboxes, gt_labels, METAS)
    # no positive, so no negative is mined either (ratio 3:1)
    assert losses['loss_cls'][1].item() == 0.0 and losses['loss_bbox'][1].item() == 0.0
    assert losses['loss_cls'][0].item() > 0
    total = sum(v.sum() for vs in losses.values() for v in vs)
    total.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in head.parameters())


def test_missing_train_cfg_key_is_named():
    head = small_head(train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                                                   neg_iou_thr=0.5),
                                     allowed_border=-1, pos_weight=-1))
    cls_scores, bbox_preds = head(feats())
    with pytest.raises(KeyError, match='neg_pos_ratio'):
        head.loss(cls_scores, bbox_preds, [torch.zeros(0, 4)] * 2,
                  [torch.zeros(0, dtype=torch.long)] * 2, METAS)


def test_get_bboxes_softmax_scores_and_rescale():
    head = small_head()
    cls_scores, bbox_preds = head(feats())
    (dets, labels), _ = head.get_bboxes(cls_scores, bbox_preds, img_metas=METAS, rescale=True)
    assert dets.shape[1] == 5 and dets.shape[0] == labels.shape[0] <= 20
    # candidates before NMS: softmax probabilities of the foreground classes
    bboxes, scores, cand_labels = head.get_bboxes(cls_scores, bbox_preds, img_metas=METAS,
                                                  with_nms=False)[0]
    probs = torch.cat([c[0].permute(1, 2, 0).reshape(-1, NUM_CLASSES + 1)
                       for c in cls_scores]).softmax(-1)[:, :-1]
    assert scores.max().item() == pytest.approx(probs.max().item(), rel=1e-6)
    assert ((bboxes >= 0) & (bboxes <= 64)).all()  # clipped to img_shape
    assert dets[:, :4].max().item() <= 32 + 1e-4  # rescaled to the 32x32 original
