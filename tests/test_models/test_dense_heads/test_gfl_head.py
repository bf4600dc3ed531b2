"""GFLHead: Integral, decoding, the QFL/DFL/GIoU losses against hand-built references."""
import pytest
import torch
from torchvision.ops import box_iou, generalized_box_iou_loss

from detkit.models import build_head
from detkit.models.dense_heads.gfl_head import Integral


def make_head(**kw):
    cfg = dict(type='GFLHead', num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
               norm_cfg=dict(type='GN', num_groups=2, requires_grad=True),
               anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                                     scales_per_octave=1, strides=[8, 16, 32]),
               loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True, beta=2.0,
                             loss_weight=1.0),
               loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25), reg_max=16,
               loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
               train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9), allowed_border=-1,
                              pos_weight=-1, debug=False),
               test_cfg=dict(nms_pre=1000, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.6),
                             max_per_img=20))
    cfg.update(kw)
    return build_head(cfg)


def test_integral_is_the_expectation():
    integral = Integral(16)
    logits = torch.zeros(2, 4 * 17)
    logits[1, 17 * 2 + 5] = 100.0  # side 2 of box 1 is surely 5
    out = integral(logits)
    assert out.shape == (2, 4)
    torch.testing.assert_close(out[0], torch.full((4,), 8.0))
    torch.testing.assert_close(out[1, 2], torch.tensor(5.0))
    # softmax over {0, 1}: p(1) = sigmoid(x1 - x0)
    small = Integral(1)
    x = torch.tensor([[0.0, 1.0] * 4])
    torch.testing.assert_close(small(x), torch.full((1, 4), torch.sigmoid(torch.tensor(1.0))))


def test_get_bboxes_decodes_distances_times_stride_from_anchor_centres():
    head = make_head().eval()
    sizes = [(4, 5), (2, 3), (1, 2)]
    cls_scores = [torch.full((1, 3, h, w), -10.0) for h, w in sizes]
    bbox_preds = [torch.zeros(1, 68, h, w) for h, w in sizes]
    # one confident prediction on level 1 (stride 16) at cell (row 1, col 2), class 2,
    # with sides (l, t, r, b) = (1, 2, 3, 1) strides
    cls_scores[1][0, 2, 1, 2] = 5.0
    for side, d in enumerate((1, 2, 3, 1)):
        bbox_preds[1][0, side * 17 + d, 1, 2] = 50.0
    meta = dict(img_shape=(64, 80, 3), scale_factor=1.0)
    bboxes, scores, labels = head.get_bboxes(cls_scores, bbox_preds, img_metas=[meta],
                                             with_nms=False)[0]
    best = scores.argmax()
    # anchors are centred on the stride grid (center_offset 0): (2 * 16, 1 * 16)
    torch.testing.assert_close(bboxes[best], torch.tensor([32. - 16, 16. - 32, 32. + 48,
                                                           16. + 16]).clamp(min=0),
                               atol=1e-3, rtol=0)
    assert labels[best] == 2 and scores[best] == pytest.approx(torch.sigmoid(torch.tensor(5.)))


def test_losses_equal_hand_built_references():
    torch.manual_seed(0)
    head = make_head()
    head.init_weights()
    feats = [torch.randn(1, 8, 16 // 2 ** i, 20 // 2 ** i) for i in range(3)]
    metas = [dict(img_shape=(128, 160, 3), pad_shape=(128, 160, 3), scale_factor=1.0)]
    gts = [torch.tensor([[4., 6., 30., 40.], [40., 10., 100., 60.], [2., 2., 150., 120.]])]
    labels = [torch.tensor([0, 2, 1])]
    cls_scores, bbox_preds = head(feats)
    losses = head.loss(cls_scores, bbox_preds, gts, labels, metas)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_dfl'}

    # reference, level by level, from the targets
    sizes = [c.shape[-2:] for c in cls_scores]
    anchors, flags = head.get_anchors(sizes, metas, device='cpu')
    lvl_anchors, lvl_labels, _, lvl_targets, _, num_pos, _ = head.get_targets(
        anchors, flags, gts, metas, gt_labels_list=labels)
    giou_sum, weight_sum, qfl_sum = 0.0, 0.0, 0.0
    for lvl, stride in enumerate((8, 16, 32)):
        score = cls_scores[lvl].detach().permute(0, 2, 3, 1).reshape(-1, 3)
        pred = bbox_preds[lvl].detach().permute(0, 2, 3, 1).reshape(-1, 68)
        lab = lvl_labels[lvl].reshape(-1)
        pos = lab < 3
        anc = lvl_anchors[lvl].reshape(-1, 4)[pos]
        centres = (anc[:, :2] + anc[:, 2:]) / 2 / stride
        dist = torch.softmax(pred[pos].reshape(-1, 17), 1) @ torch.arange(17.)
        dist = dist.reshape(-1, 4)
        boxes = torch.cat([centres - dist[:, :2], centres + dist[:, 2:]], 1)
        target = lvl_targets[lvl].reshape(-1, 4)[pos] / stride
        w = score.sigmoid().max(1).values[pos]
        giou_sum += (generalized_box_iou_loss(boxes, target, reduction='none') * w).sum()
        weight_sum += w.sum()
        # QFL: targets are the IoU of the predicted box for the positive's class, else 0
        iou = box_iou(boxes, target).diagonal()
        soft = torch.zeros_like(score)
        soft[pos.nonzero().squeeze(1), lab[pos]] = iou
        p = score.sigmoid()
        bce = torch.nn.functional.binary_cross_entropy_with_logits(score, soft,
                                                                   reduction='none')
        qfl_sum += (bce * (p - soft).abs() ** 2).sum()
    assert num_pos > 0
    # the box losses are averaged over the summed weights, at least 1 (as MMDetection)
    torch.testing.assert_close(sum(losses['loss_bbox']).detach(),
                               2.0 * giou_sum / max(weight_sum, 1.0), rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(sum(losses['loss_cls']).detach(), qfl_sum / num_pos,
                               rtol=1e-4, atol=1e-6)
    assert all(torch.isfinite(x) for x in losses['loss_dfl']) and sum(losses['loss_dfl']) > 0


def test_errors():
    with pytest.raises(ValueError, match='one anchor per cell'):
        make_head(anchor_generator=dict(type='AnchorGenerator', ratios=[0.5, 1.0],
                                        octave_base_scale=4, scales_per_octave=1,
                                        strides=[8, 16, 32]))
    head = make_head(train_cfg=None)
    feats = [torch.randn(1, 8, 4, 5)] * 3
    with pytest.raises(ValueError, match='train_cfg'):
        head.loss(*head(feats), [torch.zeros(0, 4)], [torch.zeros(0, dtype=torch.long)],
                  [dict(img_shape=(32, 40, 3), pad_shape=(32, 40, 3))])
