"""TOOD: config build (MMDetection key names), training on a batch with an empty image,
gradients, ``simple_test(rescale=True)`` result format and flip test-time augmentation."""
import pathlib

import numpy as np
import pytest
import torch
from _dense_checks import batch_of_two, check_testing, check_training  # beside this file
from _overfit import overfit

from detkit.config import Config
from detkit.models import build_detector

ROOT = pathlib.Path(__file__).resolve().parents[3]


def small_model(**head_kw):
    """ResNet-18 (narrow) + FPN (3 levels) + TOODHead sized for CPU tests."""
    head = dict(type='TOODHead', num_classes=3, in_channels=32, stacked_convs=2, feat_channels=32,
                norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
                anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                                      scales_per_octave=1, strides=[8, 16, 32]),
                bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                                target_stds=[0.1, 0.1, 0.2, 0.2]),
                loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True, activated=True,
                              beta=2.0, loss_weight=1.0),
                loss_bbox=dict(type='GIoULoss', loss_weight=2.0))
    head.update(head_kw)
    cfg = dict(
        type='TOOD',
        backbone=dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                      out_indices=(1, 2, 3), frozen_stages=1, norm_eval=True,
                      norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
        neck=dict(type='FPN', in_channels=[32, 64, 128], out_channels=32, start_level=0,
                  add_extra_convs='on_output', num_outs=3),
        bbox_head=head,
        train_cfg=dict(initial_epoch=4, initial_assigner=dict(type='ATSSAssigner', topk=9),
                       assigner=dict(type='TaskAlignedAssigner', topk=13), alpha=1, beta=6,
                       allowed_border=-1, pos_weight=-1, debug=False),
        test_cfg=dict(nms_pre=200, min_bbox_size=0, score_thr=0.0,
                      nms=dict(type='nms', iou_threshold=0.6), max_per_img=30))
    return build_detector(cfg)




def test_config_builds_with_mmdet_names():
    cfg = Config.fromfile(str(ROOT / 'configs/tood/tood_r50_fpn_1x_coco.py'))
    model = build_detector(cfg.model)
    assert type(model).__name__ == 'TOOD'
    keys = [k for k in model.state_dict() if k.startswith('bbox_head.')]
    tower = [f'bbox_head.inter_convs.{i}.{p}' for i in range(6)
             for p in ('conv.weight', 'gn.weight', 'gn.bias')]
    decomp = [f'bbox_head.{d}.{p}' for d in ('cls_decomp', 'reg_decomp')
              for p in ('layer_attention.0.weight', 'layer_attention.0.bias',
                        'layer_attention.2.weight', 'layer_attention.2.bias',
                        'reduction_conv.conv.weight', 'reduction_conv.gn.weight',
                        'reduction_conv.gn.bias')]
    predictors = [f'bbox_head.tood_{n}.{p}' for n in ('cls', 'reg') for p in ('weight', 'bias')]
    modules = [f'bbox_head.{m}.{i}.{p}' for m in ('cls_prob_module', 'reg_offset_module')
               for i in (0, 2) for p in ('weight', 'bias')]
    assert keys == (tower + decomp + predictors + modules
                    + [f'bbox_head.scales.{i}.scale' for i in range(5)])
    shapes = model.state_dict()
    # layer attention squeezes 6 x 256 channels by 6 * 8
    assert shapes['bbox_head.cls_decomp.layer_attention.0.weight'].shape == (32, 1536, 1, 1)
    assert shapes['bbox_head.cls_decomp.layer_attention.2.weight'].shape == (6, 32, 1, 1)
    assert shapes['bbox_head.reg_offset_module.2.weight'].shape == (8, 64, 3, 3)
    assert model.bbox_head.num_classes == 80


def test_train_losses_gradients_and_empty_image():
    torch.manual_seed(0)
    model = small_model()
    model.bbox_head.init_weights()  # the head only: see check_training
    check_training(model, {'loss_cls': 3, 'loss_bbox': 3})


def test_simple_test_rescale_and_flip_aug_test():
    torch.manual_seed(0)
    model = small_model()
    model.bbox_head.init_weights()
    check_testing(model, clipped=False)


def test_set_epoch_info_hook_switches_to_task_aligned_targets():
    from types import SimpleNamespace

    from detkit.engine.hooks.set_epoch_info_hook import SetEpochInfoHook

    torch.manual_seed(0)
    model = small_model()
    model.bbox_head.init_weights()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    head = model.bbox_head
    feats = model.extract_feat(img)

    def alignment_metrics():
        cls_scores, bbox_preds = head(feats)
        sizes = [c.shape[-2:] for c in cls_scores]
        anchors, flags = head.get_anchors(sizes, metas, device='cpu')
        flat_cls = torch.cat([c.permute(0, 2, 3, 1).reshape(2, -1, 3) for c in cls_scores], 1)
        flat_box = torch.cat([b.permute(0, 2, 3, 1).reshape(2, -1, 4) * s[0]
                              for b, s in zip(bbox_preds, head.prior_generator.strides)], 1)
        _, labels, _, _, metrics = head.get_targets(flat_cls.detach(), flat_box.detach(),
                                                    anchors, flags, gt_bboxes, metas,
                                                    gt_labels_list=gt_labels)
        pos = torch.cat(labels, 1) < 3
        return torch.cat(metrics, 1)[pos]

    for epoch, initial in ((3, True), (4, False)):
        SetEpochInfoHook().before_train_epoch(SimpleNamespace(model=model, epoch=epoch))
        assert head.epoch == epoch
        metrics = alignment_metrics()
        assert len(metrics) > 0
        if initial:
            # ATSS positives all weigh 1 in the first epochs
            assert (metrics == 1).all()
        else:
            # task-aligned: per gt, metric / best metric * best IoU, within (0, 1)
            assert ((metrics > 0) & (metrics < 1)).all()


@pytest.mark.slow
def test_synthetic_config_overfits_eight_images():
    """configs/synthetic/tood_r18_fpn_synthetic.py memorises 8 synthetic scenes (128 px,
    smaller than the config's 160 px; the model is the config's) in 150 AdamW steps at
    lr 1e-3 (seeds 0 / 1: loss ratio 24 / 27, from steps 4-6: 17 / 16; mAP 1.0 / 1.0).

    With 8 images in a batch an epoch is one step, so the config's SetEpochInfoHook is
    played before every step: steps 0-3 (``initial_epoch=4``) train with ATSS and focal
    loss, the rest with task-aligned targets and QFL. No loss has a floor here (QFL
    vanishes where the score equals its soft target), so the total loss itself must fall
    >= 5x: from the first 3 steps, as for every detector, and also from the first 3
    steps after the switch, so that the comparison holds within one loss definition.
    """
    losses, mean_ap = overfit('configs/synthetic/tood_r18_fpn_synthetic.py', iters=150,
                              lr=1e-3, before_step=lambda model, it: model.set_epoch(it))
    assert all(np.isfinite(losses))
    assert np.mean(losses[:3]) >= 5 * np.mean(losses[-10:]), (losses[:3], losses[-10:])
    assert np.mean(losses[4:7]) >= 5 * np.mean(losses[-10:]), (losses[4:7], losses[-10:])
    assert mean_ap >= 0.9, mean_ap
