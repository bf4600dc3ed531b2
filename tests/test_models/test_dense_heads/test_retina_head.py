"""RetinaHead: structure and names, the focal-loss prior init, torchvision parity of the
two subnets, the anchors of MMDetection's config, losses under MMDetection's names."""
import math

import numpy as np
import torch
from torchvision.models.detection.retinanet import RetinaNetHead

from detkit.models.dense_heads import RetinaHead


def copy_torchvision_head(ours, tv_head):
    """torchvision RetinaNetHead weights -> our RetinaHead (conv towers + predictors)."""
    sd = tv_head.state_dict()
    for i in range(ours.stacked_convs):
        for ours_tower, tv in ((ours.cls_convs, 'classification_head'),
                               (ours.reg_convs, 'regression_head')):
            ours_tower[i].conv.weight.data.copy_(sd[f'{tv}.conv.{i}.0.weight'])
            ours_tower[i].conv.bias.data.copy_(sd[f'{tv}.conv.{i}.0.bias'])
    ours.retina_cls.weight.data.copy_(sd['classification_head.cls_logits.weight'])
    ours.retina_cls.bias.data.copy_(sd['classification_head.cls_logits.bias'])
    ours.retina_reg.weight.data.copy_(sd['regression_head.bbox_reg.weight'])
    ours.retina_reg.bias.data.copy_(sd['regression_head.bbox_reg.bias'])


def test_structure_and_state_dict_names():
    head = RetinaHead(11, 7, feat_channels=8, stacked_convs=2)
    keys = list(head.state_dict())
    assert keys == ['cls_convs.0.conv.weight', 'cls_convs.0.conv.bias',
                    'cls_convs.1.conv.weight', 'cls_convs.1.conv.bias',
                    'reg_convs.0.conv.weight', 'reg_convs.0.conv.bias',
                    'reg_convs.1.conv.weight', 'reg_convs.1.conv.bias',
                    'retina_cls.weight', 'retina_cls.bias', 'retina_reg.weight', 'retina_reg.bias']
    cls, reg = head.forward_single(torch.rand(2, 7, 5, 6))
    assert cls.shape == (2, 9 * 11, 5, 6) and reg.shape == (2, 9 * 4, 5, 6)
    cls_scores, bbox_preds = head([torch.rand(1, 7, 8, 8), torch.rand(1, 7, 4, 4)])
    assert [c.shape[-1] for c in cls_scores] == [8, 4] and len(bbox_preds) == 2
    # with a norm layer the tower convs lose their bias
    head = RetinaHead(2, 4, feat_channels=8, stacked_convs=1,
                      norm_cfg=dict(type='GN', num_groups=2))
    assert head.cls_convs[0].conv.bias is None and 'cls_convs.0.gn.weight' in head.state_dict()


def test_init_gives_the_focal_loss_prior():
    torch.manual_seed(0)
    head = RetinaHead(3, 16, feat_channels=16)
    head.init_weights()
    prior_bias = -math.log((1 - 0.01) / 0.01)
    torch.testing.assert_close(head.retina_cls.bias, torch.full((27, ), prior_bias))
    assert head.retina_reg.bias.abs().max() == 0
    std = head.cls_convs[0].conv.weight.std().item()
    assert 0.008 < std < 0.012  # Normal(0, 0.01) over 2304 weights
    cls, _ = head.forward_single(torch.randn(1, 16, 4, 4))
    assert abs(cls.sigmoid().mean().item() - 0.01) < 0.002


def test_subnets_match_torchvision():
    torch.manual_seed(0)
    tv = RetinaNetHead(32, num_anchors=9, num_classes=5).eval()
    ours = RetinaHead(5, 32, feat_channels=32).eval()
    copy_torchvision_head(ours, tv)
    feats = [torch.randn(2, 32, 8, 10), torch.randn(2, 32, 4, 5)]
    with torch.no_grad():
        cls_scores, bbox_preds = ours(feats)
        ref = tv(feats)
    # torchvision returns (B, sum_l H_l * W_l * A, K): ours permuted to (B, H, W, A * K)
    cls = torch.cat([c.permute(0, 2, 3, 1).reshape(2, -1, 5) for c in cls_scores], 1)
    reg = torch.cat([r.permute(0, 2, 3, 1).reshape(2, -1, 4) for r in bbox_preds], 1)
    torch.testing.assert_close(cls, ref['cls_logits'], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(reg, ref['bbox_regression'], atol=1e-5, rtol=1e-5)


def test_anchors_of_the_mmdet_config():
    head = RetinaHead(80, 256)
    assert head.num_base_priors == 9 and head.prior_generator.num_levels == 5
    base = head.prior_generator.base_anchors[0]
    # stride 8: octave scales 4 * 2^(i/3) -> sizes 32, 40.3, 50.8; ratio 1 is the middle row
    sizes = (base[3:6, 2] - base[3:6, 0]).tolist()
    np.testing.assert_allclose(sizes, [32 * 2 ** (i / 3) for i in range(3)], rtol=1e-6)


def test_loss_names_and_finite_values_with_an_empty_image():
    torch.manual_seed(0)
    head = RetinaHead(
        3, 8, feat_channels=8, stacked_convs=1,
        anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                              ratios=[0.5, 1.0, 2.0], strides=[8, 16]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0),
        train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                     min_pos_iou=0, ignore_iof_thr=-1),
                       allowed_border=-1, pos_weight=-1))
    head.init_weights()
    feats = [torch.randn(2, 8, 8, 8), torch.randn(2, 8, 4, 4)]
    metas = [dict(img_shape=(64, 64, 3), pad_shape=(64, 64, 3)),
             dict(img_shape=(40, 56, 3), pad_shape=(64, 64, 3))]
    gt_bboxes = [torch.tensor([[4., 4., 40., 36.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([1]), torch.zeros(0, dtype=torch.long)]
    losses = head.forward_train(feats, metas, gt_bboxes, gt_labels)
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    assert len(losses['loss_cls']) == 2 and all(torch.isfinite(v) for v in losses['loss_cls'])
    assert losses['loss_bbox'][0] > 0
