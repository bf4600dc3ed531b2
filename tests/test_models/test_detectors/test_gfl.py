"""GFL: config build (MMDetection key names), training on a batch with an empty image,
gradients, ``simple_test(rescale=True)`` result format and flip test-time augmentation."""
import pathlib

import numpy as np
import torch

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


def batch_of_two():
    """Two images of different sizes padded into one tensor; the second has no boxes."""
    g = torch.Generator().manual_seed(0)
    img = torch.randn(2, 3, 96, 128, generator=g)
    img[1, :, 80:, :] = 0
    img[1, :, :, 100:] = 0
    metas = [dict(img_shape=(96, 128, 3), ori_shape=(48, 64, 3), pad_shape=(96, 128, 3),
                  scale_factor=np.array([2., 2., 2., 2.], dtype=np.float32), flip=False,
                  flip_direction=None),
             dict(img_shape=(80, 100, 3), ori_shape=(80, 100, 3), pad_shape=(96, 128, 3),
                  scale_factor=np.array([1., 1., 1., 1.], dtype=np.float32), flip=False,
                  flip_direction=None)]
    # a box per level: small (P3), medium (P4), large (P5)
    gt_bboxes = [torch.tensor([[4., 6., 30., 40.], [40., 10., 100., 60.], [2., 2., 126., 94.]]),
                 torch.zeros(0, 4)]
    gt_labels = [torch.tensor([0, 2, 1]), torch.zeros(0, dtype=torch.long)]
    return img, metas, gt_bboxes, gt_labels


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
    # only the head: the backbone's zero_init_residual would zero the gradients of the
    # residual branches at step 0 (they learn through the BN weights first)
    model.bbox_head.init_weights()
    model.train()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    losses = model.forward_train(img, metas, gt_bboxes, gt_labels)
    assert set(losses) == {'loss_bbox', 'loss_dfl', 'loss_cls'}
    for name, value in losses.items():
        values = value if isinstance(value, list) else [value]
        # per-level lists as in MMDetection (one entry per level), or one scalar
        assert len(values) == {'loss_cls': 3, 'loss_bbox': 3, 'loss_dfl': 3}[name], name
        assert all(torch.isfinite(v) for v in values), name
        assert sum(values) > 0, name
    loss, log_vars = model._parse_losses(losses)
    assert set(log_vars) == set(losses) | {'loss'}
    loss.backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
        else:
            assert p.grad is None, name  # the frozen stem and first stage


def test_simple_test_rescale_and_flip_aug_test():
    torch.manual_seed(0)
    model = small_model()
    model.bbox_head.init_weights()
    model.eval()
    img, metas, _, _ = batch_of_two()
    with torch.no_grad():
        results = model.simple_test(img, metas, rescale=True)
    assert len(results) == 2
    for res, meta in zip(results, metas):
        assert len(res) == 3
        assert all(r.dtype == np.float32 and r.ndim == 2 and r.shape[1] == 5 for r in res)
        dets = np.concatenate(res)
        assert 0 < len(dets) <= 30
        h, w = meta['ori_shape'][:2]
        assert (dets[:, [0, 2]] <= w + 1e-3).all() and (dets[:, [1, 3]] <= h + 1e-3).all()

    one = img[:1]
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
