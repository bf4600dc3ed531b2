"""FCOS: MMDetection checkpoint keys, torchvision parity, training and test entry points."""
import json
import pathlib

import numpy as np
import pytest
import torch
import torch.nn as nn
from _dense_checks import batch_of_two  # beside this file
from torchvision.models.detection import fcos_resnet50_fpn

from detkit.config import Config
from detkit.models import build_detector

ROOT = pathlib.Path(__file__).resolve().parents[3]
COMPAT = pathlib.Path('/work/shared/compat')


def small_fcos(**head_kw):
    """ResNet-18 (narrow) + FPN + FCOSHead with every training trick switched on."""
    head = dict(type='FCOSHead', num_classes=3, in_channels=32, stacked_convs=2,
                feat_channels=32, strides=[8, 16, 32], regress_ranges=((-1, 32), (32, 64),
                                                                       (64, 1e8)),
                norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
                center_sampling=True, norm_on_bbox=True, centerness_on_reg=True,
                loss_bbox=dict(type='GIoULoss', loss_weight=1.0))
    head.update(head_kw)
    cfg = dict(
        type='FCOS',
        backbone=dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                      out_indices=(1, 2, 3), frozen_stages=1, norm_eval=True,
                      norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
        neck=dict(type='FPN', in_channels=[32, 64, 128], out_channels=32, start_level=0,
                  add_extra_convs='on_output', num_outs=3, relu_before_extra_convs=True),
        bbox_head=head,
        train_cfg=dict(allowed_border=-1, pos_weight=-1, debug=False),
        test_cfg=dict(nms_pre=200, min_bbox_size=0, score_thr=0.01,
                      nms=dict(type='nms', iou_threshold=0.5), max_per_img=30))
    return build_detector(cfg)



def test_config_builds_with_mmdet_state_dict_keys():
    cfg = Config.fromfile(str(ROOT / 'configs/fcos/fcos_r50_caffe_fpn_gn-head_1x_coco.py'))
    model = build_detector(cfg.model)
    ref = json.loads((COMPAT / 'fcos_r50_caffe_fpn_gn-head_1x_coco.json').read_text())
    ours = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    assert ours == ref['state_dict']
    assert sum(p.numel() for p in model.parameters()) == ref['num_params']
    assert type(model).__name__ == ref['detector_type']


def _copy_torchvision_fcos(ours, tv):
    """Copy torchvision's FCOS (backbone.body, backbone.fpn, head) into our FCOS."""
    sd = tv.state_dict()
    body = {k[len('backbone.body.'):]: v for k, v in sd.items() if k.startswith('backbone.body.')}
    missing, unexpected = ours.backbone.load_state_dict(body, strict=False)
    assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing)
    fpn = {k[len('backbone.fpn.'):]: v for k, v in sd.items() if k.startswith('backbone.fpn.')}
    for i in range(3):
        for p in ('weight', 'bias'):
            getattr(ours.neck.lateral_convs[i].conv, p).data.copy_(fpn[f'inner_blocks.{i}.0.{p}'])
            getattr(ours.neck.fpn_convs[i].conv, p).data.copy_(fpn[f'layer_blocks.{i}.0.{p}'])
    for j, name in ((3, 'p6'), (4, 'p7')):
        for p in ('weight', 'bias'):
            getattr(ours.neck.fpn_convs[j].conv, p).data.copy_(fpn[f'extra_blocks.{name}.{p}'])
    head = ours.bbox_head
    for branch, tower in (('classification_head', head.cls_convs),
                          ('regression_head', head.reg_convs)):
        for i, block in enumerate(tower):
            for p in ('weight', 'bias'):
                getattr(block.conv, p).data.copy_(sd[f'head.{branch}.conv.{3 * i}.{p}'])
                getattr(block.gn, p).data.copy_(sd[f'head.{branch}.conv.{3 * i + 1}.{p}'])
    for ours_conv, key in ((head.conv_cls, 'classification_head.cls_logits'),
                           (head.conv_reg, 'regression_head.bbox_reg'),
                           (head.conv_centerness, 'regression_head.bbox_ctrness')):
        ours_conv.weight.data.copy_(sd[f'head.{key}.weight'])
        ours_conv.bias.data.copy_(sd[f'head.{key}.bias'])


def test_matches_torchvision_fcos_outputs():
    """Per-level head outputs equal torchvision's ``fcos_resnet50_fpn`` (random init).

    Same architecture: ResNet-50 (pytorch style; BN in eval mode, as torchvision's
    untrained backbone uses BatchNorm2d), FPN on C3-C5 with P6/P7 from P5 after a
    ReLU, head with GN, conv biases, ``norm_on_bbox`` and ``centerness_on_reg``.
    With ``norm_on_bbox`` our test-time ``bbox_pred`` is relu(scale * x) * stride,
    torchvision's ``bbox_regression`` is relu(x) (its BoxLinearCoder multiplies by
    the anchor size, which equals the stride): with ``scales`` = 1 ours / stride
    equals theirs.

    Post-processing differences that remain (not compared here):
    - score: ours sigmoid(cls) * sigmoid(centerness) (MMDetection), torchvision
      sqrt(sigmoid(cls) * sigmoid(centerness));
    - ours keeps per level the top ``nms_pre`` (prior, class) pairs by the class
      score alone, above ``score_thr`` (0.05), then multiplies by centerness;
      torchvision thresholds (0.2) and takes the top 1000 on its combined score;
    - NMS IoU 0.5 (MMDetection's config) vs 0.6, and torchvision's own resize
      (min_size 800) and normalisation in ``GeneralizedRCNNTransform`` instead of
      a data pipeline.
    """
    torch.manual_seed(0)
    tv = fcos_resnet50_fpn(weights=None, weights_backbone=None)
    for m in tv.modules():
        # non-trivial statistics, so a wrong BN mapping would show
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    tv.eval()
    # GroupNorm(32) in current torchvision (it was 16 in early releases): follow the model
    num_groups = tv.head.classification_head.conv[1].num_groups
    cfg = dict(
        type='FCOS',
        backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3),
                      frozen_stages=1, norm_cfg=dict(type='BN', requires_grad=False),
                      norm_eval=True, style='pytorch'),
        neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256,
                  start_level=1, add_extra_convs='on_output', num_outs=5,
                  relu_before_extra_convs=True),
        bbox_head=dict(type='FCOSHead', num_classes=91, in_channels=256, stacked_convs=4,
                       feat_channels=256, strides=[8, 16, 32, 64, 128], conv_bias=True,
                       norm_cfg=dict(type='GN', num_groups=num_groups, requires_grad=True),
                       norm_on_bbox=True, centerness_on_reg=True),
        test_cfg=dict(nms_pre=1000, score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=100))
    ours = build_detector(cfg)
    _copy_torchvision_fcos(ours, tv)
    ours.eval()
    x = torch.randn(1, 3, 128, 160)
    with torch.no_grad():
        cls_scores, bbox_preds, centernesses = ours.bbox_head(ours.extract_feat(x))
        tv_feats = list(tv.backbone(x).values())
        ref = tv.head(tv_feats)

    def flat(maps):
        return torch.cat([m.permute(0, 2, 3, 1).reshape(1, -1, m.size(1)) for m in maps], 1)

    assert [tuple(c.shape[-2:]) for c in cls_scores] == [(16, 20), (8, 10), (4, 5), (2, 3),
                                                         (1, 2)]
    assert all(s.scale.item() == 1.0 for s in ours.bbox_head.scales)
    torch.testing.assert_close(flat(cls_scores), ref['cls_logits'], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(flat(centernesses), ref['bbox_ctrness'], atol=1e-5, rtol=1e-5)
    unstrided = [b / s for b, s in zip(bbox_preds, ours.bbox_head.strides)]
    torch.testing.assert_close(flat(unstrided), ref['bbox_regression'], atol=1e-5, rtol=1e-5)
    # the regression is not trivially zero, so the comparison above means something
    assert ref['bbox_regression'].abs().max() > 1e-3


def test_train_losses_gradients_and_empty_image():
    torch.manual_seed(0)
    model = small_fcos()
    # only the head: the backbone's zero_init_residual would zero the gradients of the
    # residual branches at step 0 (they still learn, through the BN weights first)
    model.bbox_head.init_weights()
    model.train()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    losses = model.forward_train(img, metas, gt_bboxes, gt_labels)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    loss, log_vars = model._parse_losses(losses)
    loss.backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
        else:
            # frozen stem and first stage (frozen_stages=1) get nothing
            assert p.grad is None, name
    assert not any(p.requires_grad for p in model.backbone.layer1.parameters())


def test_simple_test_rescale_and_flip_aug_test():
    torch.manual_seed(0)
    model = small_fcos()
    model.init_weights()
    model.eval()
    img, metas, _, _ = batch_of_two()
    with torch.no_grad():
        results = model.simple_test(img, metas, rescale=True)
        raw = model.bbox_head.simple_test(model.extract_feat(img), metas, rescale=False)
    assert len(results) == 2
    for res, meta, (dets, _) in zip(results, metas, raw):
        assert len(res) == 3
        assert all(r.dtype == np.float32 and r.ndim == 2 and r.shape[1] == 5 for r in res)
        all_dets = np.concatenate(res)
        assert 0 < len(all_dets) <= 30
        h, w = meta['ori_shape'][:2]
        assert (all_dets[:, [0, 2]] <= w + 1e-3).all() and (all_dets[:, [1, 3]] <= h + 1e-3).all()
        # rescaled boxes are the test-image boxes divided by the scale factor
        np.testing.assert_allclose(np.sort(all_dets[:, 2]),
                                   np.sort(dets[:, 2].numpy() / meta['scale_factor'][2]),
                                   rtol=1e-5)

    # flip test-time augmentation of the first image: original + horizontal flip
    one = img[:1, :, :, :]
    flip_metas = [dict(metas[0], flip=True, flip_direction='horizontal')]
    with torch.no_grad():
        aug = model.aug_test([one, one.flip(-1)], [metas[:1], flip_metas], rescale=True)
        flipped_only = model.aug_test([one.flip(-1)], [flip_metas], rescale=True)
        direct = model.simple_test(one.flip(-1), metas[:1], rescale=False)
    assert len(aug) == 1 and len(aug[0]) == 3
    assert all(r.dtype == np.float32 and r.shape[1] == 5 for r in aug[0])
    assert sum(len(r) for r in aug[0]) > 0
    # the flipped view is mapped back: mirror in the 128 px test image, then / scale 2
    for got, d in zip(flipped_only[0], direct[0]):
        exp = np.stack([128 - d[:, 2], d[:, 1], 128 - d[:, 0], d[:, 3]], 1) / 2
        np.testing.assert_allclose(got[:, :4], exp, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(got[:, 4], d[:, 4], rtol=1e-6)


def test_bad_meta_names_key_and_image():
    model = small_fcos()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    # FCOS's targets need no image meta at all: training goes without pad_shape
    no_pad = [{k: v for k, v in m.items() if k != 'pad_shape'} for m in metas]
    losses = model.forward_train(img, no_pad, gt_bboxes, gt_labels)
    assert all(torch.isfinite(v) for v in losses.values())
    # the test path needs scale_factor, and says which image lacks it
    bad = [dict(metas[0]), {k: v for k, v in metas[1].items() if k != 'scale_factor'}]
    model.eval()
    with pytest.raises(KeyError, match=r"img_metas\[1\] has no 'scale_factor'"):
        model.simple_test(img, bad, rescale=True)


def _centerness_entropy(model, batch):
    """The least value of the centerness BCE on ``batch``: the entropy of its targets
    (they depend on the boxes only). The other losses can reach 0."""
    head = model.bbox_head
    with torch.no_grad():
        feats = model.extract_feat(batch['img'])
        points = head.prior_generator.grid_priors([f.shape[-2:] for f in feats])
        labels, targets = head.get_targets(points, batch['gt_bboxes'], batch['gt_labels'])
        pos = torch.cat(labels) < head.num_classes
        c = head.centerness_target(torch.cat(targets)[pos])
        return torch.nn.functional.binary_cross_entropy(c, c).item()


@pytest.mark.slow
def test_overfits_eight_synthetic_images(tmp_path):
    """configs/synthetic/fcos_r18_fpn_synthetic.py learns 8 synthetic scenes by heart.

    The centerness BCE cannot fall below the entropy of its soft targets, so the
    loss compared is the total minus that constant (the excess that training can
    remove); it must fall at least 5x, and bbox mAP@0.5 on the same images must
    reach 0.9.
    """
    from detkit.datasets import build_dataset
    from detkit.datasets.collate import collate
    from detkit.datasets.synthetic import make_synthetic_dataset
    from detkit.engine import build_optimizer
    from detkit.evaluation import eval_map

    torch.manual_seed(0)
    cfg = Config.fromfile(str(ROOT / 'configs/synthetic/fcos_r18_fpn_synthetic.py'))
    make_synthetic_dataset(str(tmp_path), num_train=8, num_val=1, seed=0,
                           img_size=cfg.img_scale[0])
    files = dict(ann_file=str(tmp_path / 'annotations/instances_train2017.json'),
                 img_prefix=str(tmp_path / 'train2017') + '/', data_root=None)
    train_cfg = dict(cfg.data.train, **files)
    # memorise the images as they are: no flips
    train_cfg['pipeline'] = [dict(t, flip_ratio=0.0) if t['type'] == 'RandomFlip' else t
                             for t in cfg.data.train.pipeline]
    train_set = build_dataset(train_cfg)
    test_set = build_dataset(dict(cfg.data.test, **files, test_mode=True))
    assert len(train_set) >= 7 and len(test_set) == 8
    batch = collate([train_set[i] for i in range(len(train_set))])

    model = build_detector(cfg.model)
    model.init_weights()
    model.train()
    optimizer = build_optimizer(model, cfg.optimizer)
    base_lrs = [group['lr'] for group in optimizer.param_groups]
    floor = _centerness_entropy(model, batch)
    # the config's schedule: one batch of all images per epoch, linear warm-up, one step
    lr_cfg = cfg.lr_config
    losses = []
    for it in range(cfg.runner.max_epochs):
        factor = min(1.0, lr_cfg.warmup_ratio + (1 - lr_cfg.warmup_ratio) * it
                     / lr_cfg.warmup_iters) * (0.1 if it >= lr_cfg.step[0] else 1.0)
        for group, base_lr in zip(optimizer.param_groups, base_lrs):
            group['lr'] = base_lr * factor
        loss, _ = model._parse_losses(model.forward_train(
            batch['img'], batch['img_metas'], batch['gt_bboxes'], batch['gt_labels']))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), **cfg.optimizer_config.grad_clip)
        optimizer.step()
        losses.append(loss.item())
    first, last = np.mean(losses[:5]) - floor, np.mean(losses[-5:]) - floor
    assert first / last >= 5, (losses[:5], losses[-5:], floor)

    model.eval()
    results = []
    with torch.no_grad():
        for i in range(len(test_set)):
            data = collate([test_set[i]])
            results.append(model.simple_test(data['img'][0], data['img_metas'][0],
                                             rescale=True)[0])
    annotations = [test_set.get_ann_info(i) for i in range(len(test_set))]
    mean_ap, _ = eval_map(results, annotations, iou_thr=0.5, logger='silent')
    assert mean_ap >= 0.9, mean_ap
