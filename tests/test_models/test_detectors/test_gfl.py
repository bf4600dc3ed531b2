"""GFL: config build (MMDetection key names), training on a batch with an empty image,
gradients, ``simple_test(rescale=True)`` result format and flip test-time augmentation."""
import pathlib

import numpy as np
import pytest
import torch
from _dense_checks import check_testing, check_training  # beside this file
from _overfit import binary_entropy, call_arg, overfit, record_calls

from detkit.config import Config
from detkit.models import build_detector

ROOT = pathlib.Path(__file__).resolve().parents[3]


def small_model(**head_kw):
    """ResNet-18 (narrow) + FPN (3 levels) + GFLHead sized for CPU tests."""
    head = dict(type='GFLHead', num_classes=3, in_channels=32, stacked_convs=2, feat_channels=32,
                norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
                anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                                      scales_per_octave=1, strides=[8, 16, 32]),
                loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True, beta=2.0,
                              loss_weight=1.0),
                loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25), reg_max=16,
                loss_bbox=dict(type='GIoULoss', loss_weight=2.0))
    head.update(head_kw)
    cfg = dict(
        type='GFL',
        backbone=dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                      out_indices=(1, 2, 3), frozen_stages=1, norm_eval=True,
                      norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
        neck=dict(type='FPN', in_channels=[32, 64, 128], out_channels=32, start_level=0,
                  add_extra_convs='on_output', num_outs=3),
        bbox_head=head,
        train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9), allowed_border=-1, pos_weight=-1,
                       debug=False),
        test_cfg=dict(nms_pre=200, min_bbox_size=0, score_thr=0.0,
                      nms=dict(type='nms', iou_threshold=0.6), max_per_img=30))
    return build_detector(cfg)




def test_config_builds_with_mmdet_names():
    cfg = Config.fromfile(str(ROOT / 'configs/gfl/gfl_r50_fpn_1x_coco.py'))
    model = build_detector(cfg.model)
    assert type(model).__name__ == 'GFL'
    keys = [k for k in model.state_dict() if k.startswith('bbox_head.')]
    tower = [f'bbox_head.{t}.{i}.{p}' for t in ('cls_convs', 'reg_convs') for i in range(4)
             for p in ('conv.weight', 'gn.weight', 'gn.bias')]
    predictors = [f'bbox_head.gfl_{n}.{p}' for n in ('cls', 'reg') for p in ('weight', 'bias')]
    assert keys == (tower + predictors + [f'bbox_head.scales.{i}.scale' for i in range(5)]
                    + ['bbox_head.integral.project'])
    shapes = model.state_dict()
    assert shapes['bbox_head.gfl_reg.weight'].shape == (4 * 17, 256, 3, 3)
    torch.testing.assert_close(shapes['bbox_head.integral.project'],
                               torch.arange(17, dtype=torch.float32))
    assert model.bbox_head.num_classes == 80


def test_train_losses_gradients_and_empty_image():
    torch.manual_seed(0)
    model = small_model()
    model.bbox_head.init_weights()  # the head only: see check_training
    check_training(model, {'loss_cls': 3, 'loss_bbox': 3, 'loss_dfl': 3})


def test_simple_test_rescale_and_flip_aug_test():
    torch.manual_seed(0)
    model = small_model()
    model.bbox_head.init_weights()
    check_testing(model)


def test_synthetic_config_builds_and_trains_a_step():
    cfg = Config.fromfile(str(ROOT / 'configs/synthetic/gfl_r18_fpn_synthetic.py'))
    model = build_detector(cfg.model)
    assert type(model).__name__ == 'GFL'
    assert model.bbox_head.num_classes == len(cfg.classes) == 6
    model.init_weights()
    model.train()
    metas = [dict(img_shape=(160, 128, 3), pad_shape=(160, 128, 3), scale_factor=1.0)] * 2
    losses = model.forward_train(torch.randn(2, 3, 160, 128), metas,
                                 [torch.tensor([[10., 10., 60., 80.]]), torch.zeros(0, 4)],
                                 [torch.tensor([3]), torch.zeros(0, dtype=torch.long)])
    loss, _ = model._parse_losses(losses)
    assert torch.isfinite(loss) and loss > 0


def _dfl_floor(model):
    """The least value of the total loss in a step: DFL is a cross-entropy to the two
    integers around each continuous side target t (weights 1 - frac(t) and frac(t)), so
    it cannot fall below the entropy H(frac(t)); QFL (|y - s|^beta * BCE)
    and GIoU can reach 0. GFLHead weighs each positive's four sides by its detached
    best class score w, passes ``avg_factor=4`` per level and then divides every level
    by the sum of w over all levels (at least 1): the floor follows the same steps, in
    every step, because w moves with the scores."""
    loss_dfl = model.bbox_head.loss_dfl
    calls = record_calls(loss_dfl)

    def floor():
        num = den = 0.0
        for call in calls:  # one per level
            t = call_arg(call, 1, 'target').detach().double()
            w = call_arg(call, 2, 'weight').detach().double()
            entropy = binary_entropy(t - t.floor())
            num += (w * entropy).sum().item() / call_arg(call, 3, 'avg_factor')
            den += w.sum().item() / 4  # the four sides of a positive share its weight
        calls.clear()
        return loss_dfl.loss_weight * num / max(den, 1.0)
    return floor


@pytest.mark.slow
def test_synthetic_config_overfits_eight_images():
    """configs/synthetic/gfl_r18_fpn_synthetic.py memorises 8 synthetic scenes (128 px,
    smaller than the config's 160 px; the model is the config's) in 200 AdamW steps at
    lr 3e-3 (seeds 0 / 1: excess ratio 27 / 19, mAP 1.0 / 1.0). Shapes under ~16 px take
    longest: a fresh DFL predicts 8 bins (64 px) a side, so their IoU and hence their
    score, which weighs their box losses, start near 0 (MMDetection's GFL does the same).

    DFL has a floor (its targets split between two bins), so the loss compared is the
    total minus that floor, computed exactly in each step: the excess that training can
    remove; it must fall >= 5x, and mAP@0.5 reach 0.9.
    """
    excess, mean_ap = overfit('configs/synthetic/gfl_r18_fpn_synthetic.py', iters=200,
                              lr=3e-3, loss_floor=_dfl_floor)
    assert all(np.isfinite(excess))
    assert np.mean(excess[:3]) >= 5 * np.mean(excess[-10:]), (excess[:3], excess[-10:])
    assert mean_ap >= 0.9, mean_ap
