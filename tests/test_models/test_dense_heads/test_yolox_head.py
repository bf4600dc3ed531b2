"""YOLOXHead: MMDetection layout and init, box decoding by hand, losses against a
float64 reference on the SimOTA targets, L1 mode, decoding against torchvision NMS."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import batched_nms as tv_batched_nms

from detkit.models import build_head
from detkit.models.layers import bias_init_with_prob

NUM_CLASSES = 3


def small_head(**kw):
    cfg = dict(type='YOLOXHead', num_classes=NUM_CLASSES, in_channels=8, feat_channels=8,
               strides=[8, 16, 32],
               train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
               test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.65)))
    cfg.update(kw)
    head = build_head(cfg)
    head.init_weights()
    return head


def feats(batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 8, s, s, generator=g) for s in (8, 4, 2)]


GT_BBOXES = [torch.tensor([[4., 6., 30., 28.], [30., 20., 62., 60.]]), torch.zeros(0, 4)]
GT_LABELS = [torch.tensor([0, 2]), torch.zeros(0, dtype=torch.long)]
METAS = [dict(img_shape=(64, 64, 3), pad_shape=(64, 64, 3),
              scale_factor=np.array([2., 2., 2., 2.], dtype=np.float32))] * 2


def test_layers_keys_and_init():
    head = small_head()
    keys = list(head.state_dict())
    assert keys[0] == 'multi_level_cls_convs.0.0.conv.weight'
    assert 'multi_level_cls_convs.0.0.conv.bias' not in keys  # conv_bias='auto' with BN
    # module lists, not per-level groups: all cls predictors, then reg, then obj
    assert keys[-8:] == ['multi_level_conv_reg.2.weight', 'multi_level_conv_reg.2.bias'] + [
        f'multi_level_conv_obj.{i}.{p}' for i in range(3) for p in ('weight', 'bias')]
    bn = head.multi_level_cls_convs[0][0].bn
    assert bn.eps == 0.001 and bn.momentum == 0.03
    prior = bias_init_with_prob(0.01)
    for conv in list(head.multi_level_conv_cls) + list(head.multi_level_conv_obj):
        assert torch.allclose(conv.bias, torch.full_like(conv.bias, prior))
    with pytest.raises(ValueError, match='dcn_on_last_conv'):
        small_head(dcn_on_last_conv=True)
    with pytest.raises(ValueError, match='conv_bias'):
        small_head(conv_bias='yes')


def test_bbox_decode_by_hand():
    """Prior at (16, 8) with stride 8; (0.5, 0.25, ln 2, 0) -> centre (20, 10), size
    (16, 8) -> (12, 6, 28, 14)."""
    head = small_head()
    priors = torch.tensor([[16., 8., 8., 8.]])
    pred = torch.tensor([[[0.5, 0.25, math.log(2.), 0.]]])
    assert torch.allclose(head._bbox_decode(priors, pred), torch.tensor([[[12., 6., 28., 14.]]]))
    # the L1 target inverts the decoding
    l1 = head._get_l1_target(torch.tensor([[12., 6., 28., 14.]]), priors)
    assert torch.allclose(l1, pred[0], atol=1e-6)


def test_loss_matches_float64_reference_on_simota_targets():
    head = small_head()
    cls_scores, bbox_preds, objectnesses = head(feats())
    losses = head.loss(cls_scores, bbox_preds, objectnesses, GT_BBOXES, GT_LABELS, METAS)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_obj'}

    flat_cls, flat_box, flat_obj, priors = head._flatten(cls_scores, bbox_preds, objectnesses)
    decoded = head._bbox_decode(priors, flat_box)
    ref = dict(loss_cls=0., loss_bbox=0., loss_obj=0.)
    num_pos = 0
    for i in range(2):
        fg, cls_t, obj_t, box_t, _, n = head._get_target_single(
            flat_cls[i].detach(), flat_obj[i].detach(), priors, decoded[i].detach(),
            GT_BBOXES[i], GT_LABELS[i])
        num_pos += n
        p_cls = flat_cls[i][fg].detach().double()
        ref['loss_cls'] += F.binary_cross_entropy_with_logits(
            p_cls, cls_t.double(), reduction='sum').item()
        ref['loss_obj'] += F.binary_cross_entropy_with_logits(
            flat_obj[i].detach().double(), obj_t[:, 0].double(), reduction='sum').item()
        pb, tb = decoded[i][fg].detach().double(), box_t.double()
        lt = torch.max(pb[:, :2], tb[:, :2])
        rb = torch.min(pb[:, 2:], tb[:, 2:])
        inter = (rb - lt).clamp(min=0).prod(1)
        union = (pb[:, 2:] - pb[:, :2]).prod(1) + (tb[:, 2:] - tb[:, :2]).prod(1) - inter
        iou = (inter / union).clamp(min=1e-16)
        ref['loss_bbox'] += 5.0 * (1 - iou ** 2).sum().item()  # mode='square', weight 5
        if i == 0:
            assert n > 0
            # class target of a positive: its IoU with the gt, on the gt's class only
            assert (cls_t.sum(1) > 0).all() and (cls_t <= 1).all()
        else:
            assert n == 0 and obj_t.sum() == 0
    for k, v in ref.items():
        assert losses[k].item() == pytest.approx(v / num_pos, rel=1e-5), k
    sum(losses.values()).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_l1_loss_when_switched_on_and_all_empty_batch():
    head = small_head()
    head.use_l1 = True  # what YOLOXModeSwitchHook does for the last epochs
    outs = head(feats())
    losses = head.loss(*outs, GT_BBOXES, GT_LABELS, METAS)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_obj', 'loss_l1'}
    assert losses['loss_l1'].item() > 0
    empty = [torch.zeros(0, 4)] * 2
    empty_labels = [torch.zeros(0, dtype=torch.long)] * 2
    losses = head.loss(*head(feats()), empty, empty_labels, METAS)
    assert losses['loss_cls'].item() == 0 and losses['loss_bbox'].item() == 0
    assert losses['loss_l1'].item() == 0 and losses['loss_obj'].item() > 0
    assert all(torch.isfinite(v) for v in losses.values())


def test_get_bboxes_matches_torchvision_nms_reference():
    head = small_head()
    with torch.no_grad():
        g = torch.Generator().manual_seed(2)
        for conv in list(head.multi_level_conv_cls) + list(head.multi_level_conv_obj):
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * 0.5)
            conv.bias.zero_()
        outs = head(feats(batch=1))
    dets, labels = head.get_bboxes(*outs, img_metas=METAS[:1], rescale=True)[0]

    cls, box, obj, priors = head._flatten(*outs)
    boxes = head._bbox_decode(priors, box)[0] / 2
    max_scores, ref_labels = cls[0].sigmoid().max(1)
    scores = max_scores * obj[0].sigmoid()
    keep = scores >= 0.01
    boxes, scores, ref_labels = boxes[keep], scores[keep], ref_labels[keep]
    order = tv_batched_nms(boxes, scores, ref_labels, 0.65)
    assert len(order) > 5
    assert torch.allclose(dets[:, :4], boxes[order], atol=1e-4)
    assert torch.allclose(dets[:, 4], scores[order])
    assert torch.equal(labels, ref_labels[order])
    # no NMS: the thresholded candidates
    cand = head.get_bboxes(*outs, img_metas=METAS[:1], rescale=True, with_nms=False)[0]
    assert cand[0].shape == (int(keep.sum()), 4)
    # MMDetection's YOLOX keeps all survivors; a max_per_img in the test_cfg caps them
    capped = head.get_bboxes(*outs, img_metas=METAS[:1],
                             cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.65),
                                      max_per_img=3))[0]
    assert capped[0].shape == (3, 5)
