"""YOLOV3: the MMDetection config builds, training and test entry points, flip TTA."""
import pathlib

import numpy as np
import pytest
import torch
from _dense_checks import batch_of_two as _shared_batch_of_two  # beside this file
from _overfit import binary_entropy, call_arg, overfit, record_calls  # beside this file

from detkit.config import Config
from detkit.models import build_detector
from detkit.structures import bbox_flip

ROOT = pathlib.Path(__file__).resolve().parents[3]


def small_yolov3():
    """A narrow ResNet-18 + YOLOV3Neck + YOLOV3Head (strides 32, 16, 8)."""
    cfg = dict(
        type='YOLOV3',
        backbone=dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                      out_indices=(1, 2, 3), frozen_stages=-1, norm_eval=False,
                      norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
        neck=dict(type='YOLOV3Neck', num_scales=3, in_channels=[128, 64, 32],
                  out_channels=[32, 16, 8]),
        bbox_head=dict(
            type='YOLOV3Head', num_classes=3, in_channels=[32, 16, 8], out_channels=[32, 16, 8],
            anchor_generator=dict(type='YOLOAnchorGenerator',
                                  base_sizes=[[(60, 45), (80, 90), (120, 90)],
                                              [(30, 30), (30, 60), (60, 30)],
                                              [(8, 10), (16, 16), (20, 12)]],
                                  strides=[32, 16, 8]),
            bbox_coder=dict(type='YOLOBBoxCoder'), featmap_strides=[32, 16, 8],
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0,
                          reduction='sum'),
            loss_conf=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0,
                           reduction='sum'),
            loss_xy=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=2.0,
                         reduction='sum'),
            loss_wh=dict(type='MSELoss', loss_weight=2.0, reduction='sum')),
        train_cfg=dict(assigner=dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                     min_pos_iou=0)),
        test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05, conf_thr=0.005,
                      nms=dict(type='nms', iou_threshold=0.45), max_per_img=100))
    model = build_detector(cfg)
    model.init_weights()
    with torch.no_grad():  # confident predictions, so the test path has boxes to keep
        for conv in model.bbox_head.convs_pred:
            conv.bias.view(3, -1)[:, 4:] = 1.0
    return model


def batch_of_two():
    """The shared batch with a small box SSD/YOLO priors can match."""
    return _shared_batch_of_two((4., 6., 40., 50.))


def _compose_all_pipelines(cfg):
    """Every pipeline of the config builds (type names and arguments are known)."""
    from detkit.datasets.pipelines import Compose
    train = cfg.data.train
    while 'pipeline' not in train:
        train = train.dataset
    pipelines = [train.pipeline, cfg.data.val.pipeline, cfg.data.test.pipeline]
    if 'dataset' in train:  # MultiImageMixDataset: the loading pipeline of the inner set
        pipelines.append(train.dataset.pipeline)
    for pipeline in pipelines:
        assert len(Compose(pipeline).transforms) == len(pipeline)


def test_yolov3_config_builds_without_pretrained_weights():
    cfg = Config.fromfile(str(ROOT / 'configs/yolo/yolov3_d53_mstrain-608_273e_coco.py'))
    assert cfg.model.test_cfg.conf_thr == 0.005 and cfg.runner.max_epochs == 273
    model = build_detector(cfg.model)
    assert type(model).__name__ == 'YOLOV3'
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes['bbox_head.convs_pred.0.weight'] == (255, 1024, 1, 1)
    assert shapes['bbox_head.convs_bridge.2.conv.weight'] == (256, 128, 3, 3)
    # MMDetection's yolov3_d53 checkpoint holds 61,949,149 parameters
    assert sum(p.numel() for p in model.parameters()) == 61949149
    _compose_all_pipelines(cfg)
    _compose_all_pipelines(
        Config.fromfile(str(ROOT / 'configs/synthetic/yolov3_r18_128_synthetic.py')))


def test_train_backward_and_test_outputs():
    torch.manual_seed(0)
    model = small_yolov3().train()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    losses = model.forward(img, metas, gt_bboxes=gt_bboxes, gt_labels=gt_labels)
    assert set(losses) == {'loss_cls', 'loss_conf', 'loss_xy', 'loss_wh'}
    assert all(len(v) == 3 and all(torch.isfinite(x) for x in v) for v in losses.values())
    loss, _ = model._parse_losses(losses)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if not name.startswith('backbone'):
            # (the backbone's zero-initialised residual BNs block some gradients at init)
            assert p.grad.abs().sum() > 0, name

    model.eval()
    with torch.no_grad():
        results = model.forward([img], [metas], return_loss=False, rescale=True)
    assert len(results) == 2
    for res in results:
        assert len(res) == 3
        assert all(d.dtype == np.float32 and d.ndim == 2 and d.shape[1] == 5 for d in res)
        assert sum(len(d) for d in res) > 0
    # rescale divides by the scale factor: the same detections, halved, for image 0
    with torch.no_grad():
        raw = model.simple_test(img, metas, rescale=False)[0]
    for c in range(3):
        assert np.allclose(results[0][c][:, :4], raw[c][:, :4] / 2, atol=1e-4)


def test_flip_aug_test():
    torch.manual_seed(0)
    model = small_yolov3().eval()
    img = torch.randn(1, 3, 96, 128)
    flipped = img.flip(-1)
    meta = dict(img_shape=(96, 128, 3), ori_shape=(96, 128, 3), pad_shape=(96, 128, 3),
                scale_factor=np.ones(4, dtype=np.float32), flip=False, flip_direction=None)
    meta_f = dict(meta, flip=True, flip_direction='horizontal')
    with torch.no_grad():
        simple = model.simple_test(flipped, [dict(meta)], rescale=True)[0]
        twice = model.forward([flipped, flipped], [[dict(meta_f)], [dict(meta_f)]],
                              return_loss=False, rescale=True)[0]
        both = model.aug_test([img, flipped], [[dict(meta)], [dict(meta_f)]], rescale=True)[0]
    assert sum(len(d) for d in simple) > 0
    for c in range(3):
        ref = simple[c].copy()
        ref[:, :4] = bbox_flip(ref[:, :4], (96, 128), 'horizontal')
        ref = ref[np.lexsort((ref[:, 0], -ref[:, 4]))]
        got = twice[c][np.lexsort((twice[c][:, 0], -twice[c][:, 4]))]
        assert np.allclose(got, ref, atol=1e-4)
    assert sum(len(d) for d in both) > 0


def test_synthetic_config_builds_and_trains_one_step():
    cfg = Config.fromfile(str(ROOT / 'configs/synthetic/yolov3_r18_128_synthetic.py'))
    model = build_detector(cfg.model)
    model.init_weights()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    losses = model.forward(img, metas, gt_bboxes=gt_bboxes, gt_labels=gt_labels)
    assert set(losses) == {'loss_cls', 'loss_conf', 'loss_xy', 'loss_wh'}
    assert all(torch.isfinite(x) for v in losses.values() for x in v)


def _soft_target_floor(model):
    """The least value of the total loss in a step: the sigmoid cross-entropies
    (``loss_xy``, ``loss_cls``, ``loss_conf``, reduction 'sum') cannot fall below the
    entropy of their targets, and the xy targets are soft (the gt centre's offset in its
    cell, in (0, 1)); the wh MSE can reach 0. Fixed here: the GridAssigner assigns from
    the anchors and boxes alone."""
    head = model.bbox_head
    losses = [head.loss_xy, head.loss_cls, head.loss_conf]
    assert all(loss.use_sigmoid and loss.reduction == 'sum' for loss in losses)
    records = [(loss.loss_weight, record_calls(loss)) for loss in losses]

    def floor():
        value = 0.0
        for loss_weight, calls in records:
            for call in calls:  # one per level
                weight = call_arg(call, 2, 'weight').detach().double()
                value += loss_weight * (weight * binary_entropy(call_arg(call, 1, 'target'))
                                        ).sum().item()
            calls.clear()
        return value
    return floor


@pytest.mark.slow
def test_synthetic_config_overfits_eight_images():
    """configs/synthetic/yolov3_r18_128_synthetic.py memorises 8 synthetic scenes (128 px,
    the config's size; the model is the config's) in 100 AdamW steps at lr 1e-3 (seeds
    0 / 1: excess ratio 24 / 25, mAP 1.0 / 1.0; mAP reaches 1.0 by step 50).

    The xy cross-entropy has a floor (its targets are soft), so the loss compared is the
    total minus that exact floor: the excess that training can remove; it must fall
    >= 5x, and mAP@0.5 reach 0.9.
    """
    excess, mean_ap = overfit('configs/synthetic/yolov3_r18_128_synthetic.py', iters=100,
                              lr=1e-3, loss_floor=_soft_target_floor)
    assert all(np.isfinite(excess))
    assert np.mean(excess[:3]) >= 5 * np.mean(excess[-10:]), (excess[:3], excess[-10:])
    assert mean_ap >= 0.9, mean_ap
