"""RPNHead: names, per-level NMS proposals against a brute-force reference, min_bbox_size,
softmax objectness, MMDetection's loss names."""
import numpy as np
import pytest
import torch
import torchvision

from detkit.models.dense_heads import RPNHead

TRAIN_CFG = dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                               min_pos_iou=0.3, ignore_iof_thr=-1),
                 sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                              add_gt_as_proposals=False),
                 allowed_border=0, pos_weight=-1, debug=False)
TEST_CFG = dict(nms_pre=6, max_per_img=5, nms=dict(type='nms', iou_threshold=0.5),
                min_bbox_size=0)
ANCHORS = dict(type='AnchorGenerator', scales=[2], ratios=[0.5, 1.0, 2.0], strides=[8, 16])


def make_head(**kw):
    kw.setdefault('train_cfg', TRAIN_CFG)
    kw.setdefault('test_cfg', TEST_CFG)
    kw.setdefault('anchor_generator', ANCHORS)
    return RPNHead(8, feat_channels=8, **kw)


def test_structure():
    head = make_head()
    assert head.num_classes == 1 and head.cls_out_channels == 1
    assert list(head.state_dict()) == ['rpn_conv.weight', 'rpn_conv.bias', 'rpn_cls.weight',
                                       'rpn_cls.bias', 'rpn_reg.weight', 'rpn_reg.bias']
    head = make_head(num_convs=2)
    assert list(head.state_dict())[:4] == ['rpn_conv.0.conv.weight', 'rpn_conv.0.conv.bias',
                                           'rpn_conv.1.conv.weight', 'rpn_conv.1.conv.bias']
    cls, reg = head.forward_single(torch.randn(1, 8, 4, 4))
    assert cls.shape == (1, 3, 4, 4) and reg.shape == (1, 12, 4, 4)
    with pytest.raises(ValueError, match='num_classes is always 1'):
        make_head(num_classes=3)


def _reference(cls_list, reg_list, anchors_list, coder, cfg, img_shape):
    """Per level the nms_pre best anchors, decode, drop small, NMS within levels."""
    boxes, scores, ids = [], [], []
    for lvl, (cls, reg, anchors) in enumerate(zip(cls_list, reg_list, anchors_list)):
        s = cls.permute(1, 2, 0).reshape(-1).sigmoid()
        d = reg.permute(1, 2, 0).reshape(-1, 4)
        order = sorted(range(len(s)), key=lambda i: -s[i].item())[:cfg['nms_pre']]
        order = torch.tensor(order)
        boxes.append(coder.decode(anchors[order], d[order], max_shape=img_shape))
        scores.append(s[order])
        ids.append(torch.full((len(order), ), lvl))
    boxes, scores, ids = torch.cat(boxes), torch.cat(scores), torch.cat(ids)
    wh = boxes[:, 2:] - boxes[:, :2]
    valid = (wh > cfg['min_bbox_size']).all(1)
    boxes, scores, ids = boxes[valid], scores[valid], ids[valid]
    keep = torchvision.ops.batched_nms(boxes, scores, ids, cfg['nms']['iou_threshold'])
    keep = keep[:cfg['max_per_img']]
    return torch.cat([boxes[keep], scores[keep, None]], 1)


@pytest.mark.parametrize('min_bbox_size', [0, 8])
def test_proposals_match_brute_force(min_bbox_size):
    torch.manual_seed(0)
    head = make_head(test_cfg=dict(TEST_CFG, min_bbox_size=min_bbox_size))
    cls = [torch.randn(2, 3, 4, 5), torch.randn(2, 3, 2, 3)]
    reg = [torch.randn(2, 12, 4, 5) * 0.5, torch.randn(2, 12, 2, 3) * 0.5]
    metas = [dict(img_shape=(32, 40, 3), scale_factor=np.ones(4, np.float32)),
             dict(img_shape=(24, 30, 3), scale_factor=np.ones(4, np.float32) * 2)]
    anchors = head.prior_generator.grid_priors([(4, 5), (2, 3)], device='cpu')
    # rescale is not applied by the head (the RPN detector rescales)
    proposals = head.get_bboxes(cls, reg, img_metas=metas, rescale=True)
    for i, props in enumerate(proposals):
        ref = _reference([c[i] for c in cls], [r[i] for r in reg], anchors, head.bbox_coder,
                         head.test_cfg, metas[i]['img_shape'])
        assert props.shape[1] == 5 and len(props) > 0
        torch.testing.assert_close(props, ref)
        if min_bbox_size:
            assert bool(((props[:, 2:4] - props[:, :2]) > min_bbox_size).all())


def test_softmax_objectness_uses_column_zero_as_foreground():
    head = make_head(loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                     test_cfg=dict(TEST_CFG, nms_pre=100, max_per_img=100,
                                   nms=dict(type='nms', iou_threshold=1.0)))
    assert head.cls_out_channels == 2
    cls = torch.zeros(1, 6, 1, 1)
    cls[0, 2] = 3.0  # anchor 1, foreground logit (channel a * 2 + 0)
    props = head.get_bboxes([cls, torch.zeros(1, 6, 1, 1)],
                            [torch.zeros(1, 12, 1, 1), torch.zeros(1, 12, 1, 1)],
                            img_metas=[dict(img_shape=(64, 64), scale_factor=1.0)])[0]
    assert props[0, 4].item() == pytest.approx(torch.softmax(torch.tensor([3.0, 0.0]), 0)[0].item())


def test_losses_use_rpn_names_and_ignore_labels():
    torch.manual_seed(0)
    head = make_head()
    head.init_weights()
    feats = [torch.randn(2, 8, 8, 8), torch.randn(2, 8, 4, 4)]
    metas = [dict(img_shape=(64, 64, 3), pad_shape=(64, 64, 3)),
             dict(img_shape=(48, 40, 3), pad_shape=(64, 64, 3))]
    gt_bboxes = [torch.tensor([[8., 8., 30., 40.]]), torch.zeros(0, 4)]
    losses = head.forward_train(feats, metas, gt_bboxes)
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    assert all(torch.isfinite(v) for v in losses['loss_rpn_cls'] + losses['loss_rpn_bbox'])
    assert sum(losses['loss_rpn_bbox']) > 0
    # with proposal_cfg the proposals come back too
    losses, props = head.forward_train(feats, [dict(m, scale_factor=1.0) for m in metas],
                                       [torch.tensor([[8., 8., 30., 40.]]), torch.zeros(0, 4)],
                                       proposal_cfg=TEST_CFG)
    assert len(props) == 2 and props[0].shape == (5, 5)
