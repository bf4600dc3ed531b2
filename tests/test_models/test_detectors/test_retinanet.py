"""RetinaNet end to end on a tiny ResNet-18/FPN: a padded batch of two image sizes (one
without ground truth), gradients, results in original-image coordinates, flip
test-time augmentation against a hand-built reference, and torchvision parity of the
full network's head outputs."""
import numpy as np
import pytest
import torch
import torchvision
from torchvision.models.detection import retinanet_resnet50_fpn

from detkit.models import build_detector

NUM_CLASSES = 3


def tiny_retinanet(**test_cfg):
    cfg = dict(
        type='RetinaNet',
        backbone=dict(type='ResNet', depth=18, base_channels=8, out_indices=(1, 2, 3),
                      frozen_stages=1, norm_eval=True, style='pytorch'),
        neck=dict(type='FPN', in_channels=[16, 32, 64], out_channels=16, start_level=0,
                  add_extra_convs='on_input', num_outs=3),
        bbox_head=dict(
            type='RetinaHead', num_classes=NUM_CLASSES, in_channels=16, stacked_convs=2,
            feat_channels=16,
            anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                  scales_per_octave=3, ratios=[0.5, 1.0, 2.0],
                                  strides=[8, 16, 32]),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                            target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                          loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                     min_pos_iou=0, ignore_iof_thr=-1),
                       allowed_border=-1, pos_weight=-1, debug=False),
        test_cfg=dict(dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                           nms=dict(type='nms', iou_threshold=0.5), max_per_img=100), **test_cfg))
    torch.manual_seed(0)
    model = build_detector(cfg)
    model.init_weights()
    return model


def batch():
    """Two images padded into (2, 3, 96, 128): 96x128 (scale 2) and 64x96 (scale 1), no gt."""
    g = torch.Generator().manual_seed(0)
    img = torch.randn(2, 3, 96, 128, generator=g)
    img[1, :, 64:, :] = 0
    img[1, :, :, 96:] = 0
    metas = [dict(img_shape=(96, 128, 3), ori_shape=(48, 64, 3), pad_shape=(96, 128, 3),
                  scale_factor=np.array([2, 2, 2, 2], np.float32), flip=False,
                  flip_direction=None),
             dict(img_shape=(64, 96, 3), ori_shape=(64, 96, 3), pad_shape=(96, 128, 3),
                  scale_factor=np.array([1, 1, 1, 1], np.float32), flip=False,
                  flip_direction=None)]
    gt_bboxes = [torch.tensor([[10., 12., 60., 70.], [64., 20., 120., 90.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([0, 2]), torch.zeros(0, dtype=torch.long)]
    return img, metas, gt_bboxes, gt_labels


def test_train_losses_and_gradients():
    model = tiny_retinanet()
    img, metas, gt_bboxes, gt_labels = batch()
    losses = model(img, metas, gt_bboxes=gt_bboxes, gt_labels=gt_labels)
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    assert len(losses['loss_cls']) == 3 and len(losses['loss_bbox']) == 3
    assert all(torch.isfinite(v) for v in losses['loss_cls'] + losses['loss_bbox'])
    assert sum(losses['loss_bbox']) > 0
    assert metas[0]['batch_input_shape'] == (96, 128)
    out = model.train_step(dict(img=img, img_metas=metas, gt_bboxes=gt_bboxes,
                                gt_labels=gt_labels), None)
    assert out['num_samples'] == 2 and list(out['log_vars']) == ['loss_cls', 'loss_bbox', 'loss']
    assert out['log_vars']['loss'] == pytest.approx(out['loss'].item())
    out['loss'].backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    # frozen_stages=1: the stem and layer1 are frozen, everything else learns
    assert frozen and all(n.startswith(('backbone.conv1', 'backbone.bn1', 'backbone.layer1'))
                          for n in frozen)
    missing = [n for n, p in trainable if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing
    # zero_init_residual: each block's last BN starts at gamma 0, so the convs before it
    # get zero gradients on step one (as in MMDetection); that BN and the rest learn
    zero_by_design = ('.conv1.', '.bn1.', '.conv2.')
    for n, p in trainable:
        if n.endswith('weight') and not (n.startswith('backbone.layer') and
                                         any(z in n for z in zero_by_design)):
            assert p.grad.abs().sum() > 0, n


def test_simple_test_result_format_and_rescale():
    model = tiny_retinanet(score_thr=0.0, max_per_img=20).eval()
    img, metas, _, _ = batch()
    with torch.no_grad():
        raw = model.simple_test(img, metas, rescale=False)
        res = model.forward([img], [metas], return_loss=False, rescale=True)
    assert len(res) == 2
    for i, (per_class_raw, per_class) in enumerate(zip(raw, res)):
        assert len(per_class) == NUM_CLASSES
        assert all(r.dtype == np.float32 and r.ndim == 2 and r.shape[1] == 5 for r in per_class)
        assert sum(len(r) for r in per_class) == 20
        h, w = metas[i]['img_shape'][:2]
        for r_raw, r in zip(per_class_raw, per_class):
            # boxes are clipped to this image's own img_shape, not the padded batch
            assert (r_raw[:, [0, 2]] <= w).all() and (r_raw[:, [1, 3]] <= h).all()
            np.testing.assert_allclose(r[:, :4], r_raw[:, :4] / metas[i]['scale_factor'],
                                       rtol=1e-6)
            np.testing.assert_array_equal(r[:, 4], r_raw[:, 4])
    # image 0 was upscaled 2x: its rescaled boxes lie within the 48x64 original
    boxes0 = np.concatenate(res[0])
    assert boxes0[:, 2].max() <= 64 and boxes0[:, 3].max() <= 48


def test_flip_aug_test_matches_a_hand_built_reference():
    model = tiny_retinanet(score_thr=0.0, nms_pre=50, max_per_img=15).eval()
    img, metas, _, _ = batch()
    img = img[:1]
    m0 = dict(metas[0])
    m1 = dict(metas[0], flip=True, flip_direction='horizontal')
    with torch.no_grad():
        res = model.forward([img, img.flip(-1)], [[m0], [m1]], return_loss=False, rescale=True)
        # reference: every augmentation's candidates without NMS, flipped back by hand,
        # divided by the scale, then torchvision's per-class NMS on their union
        boxes, scores, labels = [], [], []
        for x, m, flip in ((img, m0, False), (img.flip(-1), m1, True)):
            b, s, lab = model.bbox_head.get_bboxes(*model.bbox_head(model.extract_feat(x)),
                                                   img_metas=[m], with_nms=False)[0]
            if flip:
                b = torch.stack([128 - b[:, 2], b[:, 1], 128 - b[:, 0], b[:, 3]], 1)
            boxes.append(b / 2)
            scores.append(s)
            labels.append(lab)
        boxes, scores, labels = torch.cat(boxes), torch.cat(scores), torch.cat(labels)
        keep = torchvision.ops.batched_nms(boxes, scores, labels, 0.5)[:15]
    assert len(res) == 1 and len(res[0]) == NUM_CLASSES
    for c in range(NUM_CLASSES):
        k = keep[labels[keep] == c]
        ref = torch.cat([boxes[k], scores[k, None]], 1).numpy()
        np.testing.assert_allclose(res[0][c], ref, rtol=1e-5, atol=1e-4)
    # two identical augmentations collapse to the single-image result (duplicates have IoU 1)
    with torch.no_grad():
        twice = model.forward([img, img], [[m0], [dict(m0)]], return_loss=False, rescale=True)
        once = model.simple_test(img, [m0], rescale=True)
    for a, b in zip(twice[0], once[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def copy_torchvision_retinanet(ours, tv):
    sd = tv.state_dict()
    own = ours.state_dict()
    for k in own:
        if k.startswith('backbone.'):
            own[k].copy_(sd['backbone.body.' + k[len('backbone.'):]])
    for i in range(3):
        for p in ('weight', 'bias'):
            own[f'neck.lateral_convs.{i}.conv.{p}'].copy_(sd[f'backbone.fpn.inner_blocks.{i}.0.{p}'])
            own[f'neck.fpn_convs.{i}.conv.{p}'].copy_(sd[f'backbone.fpn.layer_blocks.{i}.0.{p}'])
    for j, name in ((3, 'p6'), (4, 'p7')):
        for p in ('weight', 'bias'):
            own[f'neck.fpn_convs.{j}.conv.{p}'].copy_(sd[f'backbone.fpn.extra_blocks.{name}.{p}'])
    for i in range(4):
        for p in ('weight', 'bias'):
            own[f'bbox_head.cls_convs.{i}.conv.{p}'].copy_(sd[f'head.classification_head.conv.{i}.0.{p}'])
            own[f'bbox_head.reg_convs.{i}.conv.{p}'].copy_(sd[f'head.regression_head.conv.{i}.0.{p}'])
    for p in ('weight', 'bias'):
        own[f'bbox_head.retina_cls.{p}'].copy_(sd[f'head.classification_head.cls_logits.{p}'])
        own[f'bbox_head.retina_reg.{p}'].copy_(sd[f'head.regression_head.bbox_reg.{p}'])


def test_head_outputs_match_torchvision_retinanet():
    """Our RetinaNet built to torchvision's architecture gives its head outputs to 1e-5.

    What stays different after the head (post-processing), not compared here:
    - anchors: torchvision rounds its base anchors to integers (``round()``), MMDetection
      keeps 32 * 2^(1/3) = 40.3 etc. as floats, so decoded boxes differ by < 0.5 px;
    - box coder: both clamp dw/dh at log(1000/16), but torchvision does not clip boxes
      to the image before NMS the same way (it clips after decoding, per level) and
      uses no target_stds (weights 1);
    - top-k: torchvision keeps topk_candidates=1000 per level after score_thresh=0.05
      (like nms_pre=1000), but returns detections_per_img=300 where the config has
      max_per_img=100, and removes boxes smaller than 1e-3 px;
    - the input: torchvision's GeneralizedRCNNTransform normalises and resizes
      (min_size 800) inside the model; detkit does both in the data pipeline.
    """
    torch.manual_seed(0)
    tv = retinanet_resnet50_fpn(weights=None, weights_backbone=None).eval()
    cfg = dict(
        type='RetinaNet',
        backbone=dict(type='ResNet', depth=50, out_indices=(0, 1, 2, 3), frozen_stages=1,
                      norm_eval=True, style='pytorch'),
        neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256,
                  start_level=1, add_extra_convs='on_output', relu_before_extra_convs=True,
                  num_outs=5),
        bbox_head=dict(type='RetinaHead', num_classes=91, in_channels=256, stacked_convs=4,
                       feat_channels=256))
    ours = build_detector(cfg).eval()
    with torch.no_grad():
        copy_torchvision_retinanet(ours, tv)
        x = torch.randn(1, 3, 128, 160)
        cls_scores, bbox_preds = ours.forward_dummy(x)
        feats = list(tv.backbone(x).values())
        ref = tv.head(feats)
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [tuple(f.shape[-2:]) for f in feats]
    sizes = [c.shape[-2] * c.shape[-1] * 9 for c in cls_scores]
    ref_cls = ref['cls_logits'].split(sizes, 1)
    ref_reg = ref['bbox_regression'].split(sizes, 1)
    for lvl, (c, r) in enumerate(zip(cls_scores, bbox_preds)):
        torch.testing.assert_close(c.permute(0, 2, 3, 1).reshape(1, -1, 91), ref_cls[lvl],
                                   atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(r.permute(0, 2, 3, 1).reshape(1, -1, 4), ref_reg[lvl],
                                   atol=1e-5, rtol=1e-5)
