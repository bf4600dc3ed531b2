"""RPN detector: losses under MMDetection's names, proposals as (n, 5) float32 arrays in
original-image coordinates, flip test-time augmentation against a hand-built reference."""
import os.path as osp

import numpy as np
import pytest
import torch
import torchvision
from _overfit import ROOT, build_model, synthetic_batch, train_steps

from detkit.models import build_detector


def tiny_rpn(**test_cfg):
    cfg = dict(
        type='RPN',
        backbone=dict(type='ResNet', depth=18, base_channels=8, out_indices=(0, 1, 2, 3),
                      frozen_stages=1, norm_eval=True, style='pytorch'),
        neck=dict(type='FPN', in_channels=[8, 16, 32, 64], out_channels=16, num_outs=4),
        rpn_head=dict(
            type='RPNHead', in_channels=16, feat_channels=16,
            anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0],
                                  strides=[4, 8, 16, 32]),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                            target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        train_cfg=dict(rpn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                          min_pos_iou=0.3, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                         add_gt_as_proposals=False),
            allowed_border=0, pos_weight=-1, debug=False)),
        test_cfg=dict(rpn=dict(dict(nms_pre=200, max_per_img=50,
                                    nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
                               **test_cfg)))
    torch.manual_seed(0)
    model = build_detector(cfg)
    model.init_weights()
    return model


def batch():
    g = torch.Generator().manual_seed(1)
    img = torch.randn(2, 3, 64, 96, generator=g)
    img[1, :, 48:] = 0
    metas = [dict(img_shape=(64, 96, 3), ori_shape=(32, 48, 3), pad_shape=(64, 96, 3),
                  scale_factor=np.array([2, 2, 2, 2], np.float32), flip=False,
                  flip_direction=None),
             dict(img_shape=(48, 80, 3), ori_shape=(48, 80, 3), pad_shape=(64, 96, 3),
                  scale_factor=np.array([1, 1, 1, 1], np.float32), flip=False,
                  flip_direction=None)]
    return img, metas, [torch.tensor([[8., 6., 50., 60.]]), torch.zeros(0, 4)]


def test_train_losses_and_gradients():
    model = tiny_rpn()
    img, metas, gt_bboxes = batch()
    # a detection pipeline's gt_labels are accepted and not used
    out = model.train_step(dict(img=img, img_metas=metas, gt_bboxes=gt_bboxes,
                                gt_labels=[torch.tensor([3]), torch.zeros(0).long()]), None)
    assert list(out['log_vars']) == ['loss_rpn_cls', 'loss_rpn_bbox', 'loss']
    assert np.isfinite(out['log_vars']['loss']) and out['log_vars']['loss_rpn_bbox'] > 0
    out['loss'].backward()
    for n, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and torch.isfinite(p.grad).all(), n
    for n, p in model.rpn_head.named_parameters():
        assert p.grad.abs().sum() > 0, n
    losses = model(img, metas, gt_bboxes=gt_bboxes)
    assert [len(losses[k]) for k in ('loss_rpn_cls', 'loss_rpn_bbox')] == [4, 4]


def test_simple_test_returns_arrays_in_original_coordinates():
    model = tiny_rpn().eval()
    img, metas, _ = batch()
    with torch.no_grad():
        raw = model.simple_test(img, metas, rescale=False)
        res = model.forward([img], [metas], return_loss=False, rescale=True)
    assert len(res) == 2
    for i in range(2):
        assert res[i].dtype == np.float32 and res[i].ndim == 2 and res[i].shape[1] == 5
        assert 0 < len(res[i]) <= 50
        h, w = metas[i]['img_shape'][:2]
        assert raw[i][:, 2].max() <= w and raw[i][:, 3].max() <= h
        np.testing.assert_allclose(res[i][:, :4], raw[i][:, :4] / metas[i]['scale_factor'])
        assert (np.diff(res[i][:, 4]) <= 0).all()  # best first


def test_flip_aug_test_matches_a_hand_built_reference():
    model = tiny_rpn().eval()
    img, metas, _ = batch()
    img = img[:1]
    m0 = dict(metas[0])
    m1 = dict(metas[0], flip=True, flip_direction='horizontal')
    with torch.no_grad():
        res = model.forward([img, img.flip(-1)], [[m0], [m1]], return_loss=False, rescale=True)
        unscaled = model.aug_test([img, img.flip(-1)], [[m0], [m1]], rescale=False)
        props = []
        for x, m, flip in ((img, m0, False), (img.flip(-1), m1, True)):
            p = model.rpn_head.simple_test_rpn(model.extract_feat(x), [m])[0].clone()
            if flip:
                p[:, [0, 2]] = 96 - p[:, [2, 0]]
            p[:, :4] /= 2
            props.append(p)
        props = torch.cat(props)
        keep = torchvision.ops.nms(props[:, :4], props[:, 4], 0.7)[:50]
        ref = props[keep].numpy()
    assert len(res) == 1 and res[0].shape == ref.shape
    np.testing.assert_allclose(res[0], ref, rtol=1e-5, atol=1e-4)
    # without rescale: in the first augmentation's (2x) coordinates
    np.testing.assert_allclose(unscaled[0][:, :4], ref[:, :4] * 2, rtol=1e-5, atol=2e-4)


def test_show_result_draws_the_top_k_proposals():
    model = tiny_rpn()
    img = np.zeros((40, 60, 3), np.uint8)
    proposals = np.array([[2, 2, 20, 20, 0.9], [30, 5, 50, 30, 0.8], [5, 25, 15, 35, 0.7]],
                         np.float32)
    drawn = model.show_result(img, proposals, top_k=2)
    assert drawn[2, 2:21].any() and drawn[5, 30:51].any()  # the two best are drawn
    assert not drawn[35, 5:16].any()  # the third is beyond top_k


@pytest.mark.slow
def test_synthetic_config_overfits_eight_images():
    """configs/synthetic/rpn_r18_fpn_synthetic.py learns 8 synthetic scenes by heart: the
    loss (hard-target BCE + L1, no floor) falls >= 5x and the recall of the top 20
    proposals per image at IoU 0.5 (MMDetection's RPN metric; an RPN has no classes, and
    its overlapping proposals are no false positives) goes from < 0.3 untrained to
    >= 0.9 on the same images. 128 px images (the config's are 256 px). Measured: loss
    falls 208x / 255x, top-10 recall 0.0 / 0.18 -> 0.94 / 0.94 (seeds 0 / 1)."""
    from detkit.config import Config
    from detkit.engine import build_optimizer
    from detkit.evaluation import eval_recalls

    cfg = Config.fromfile(osp.join(ROOT, 'configs/synthetic/rpn_r18_fpn_synthetic.py'))
    data = synthetic_batch(cfg, 128)
    data.pop('gt_labels')  # an RPN trains on boxes alone
    model = build_model(cfg, seed=0)
    gts = [b.numpy() for b in data['gt_bboxes']]

    def recall():
        model.eval()
        with torch.no_grad():
            proposals = model.simple_test(data['img'], data['img_metas'], rescale=True)
        model.train()
        return float(eval_recalls(gts, proposals, [20], [0.5], logger='silent')[0, 0])

    assert recall() < 0.3
    optimizer = build_optimizer(model, dict(type='AdamW', lr=1e-3, weight_decay=0.0))
    losses = train_steps(model, optimizer, data, 100)
    assert all(np.isfinite(losses))
    assert np.mean(losses[:3]) >= 5 * np.mean(losses[-10:]), losses[::10]
    assert recall() >= 0.9
