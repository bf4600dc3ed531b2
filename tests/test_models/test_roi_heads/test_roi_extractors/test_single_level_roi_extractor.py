"""SingleRoIExtractor: level mapping by hand, pooling against per-level roi_align and
against torchvision's MultiScaleRoIAlign, RoI rescaling, config errors."""
import math
from collections import OrderedDict

import pytest
import torch
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops import roi_align as tv_roi_align

from detkit.models.roi_heads import SingleRoIExtractor

STRIDES = [4, 8, 16, 32]


def make_extractor(**roi_layer):
    cfg = dict(type='RoIAlign', output_size=7, sampling_ratio=0)
    cfg.update(roi_layer)
    return SingleRoIExtractor(roi_layer=cfg, out_channels=3, featmap_strides=STRIDES)


def test_map_roi_levels_by_hand():
    ext = make_extractor()
    # sqrt(w * h): 50 -> 0, 111.9 -> 0, 112.1 -> 1, 224 -> 2 (log2(4) + eps floors to 2),
    # 300 -> 2, 500 -> 3, 2000 -> 3 (clamped)
    sides = [50., 111.9, 112.1, 224., 300., 500., 2000.]
    rois = torch.tensor([[0., 10., 10., 10. + s, 10. + s] for s in sides])
    assert ext.map_roi_levels(rois, 4).tolist() == [0, 0, 1, 2, 2, 3, 3]
    # non-square: w=64, h=256 -> sqrt = 128 -> level 1
    assert ext.map_roi_levels(torch.tensor([[0., 0., 0., 64., 256.]]), 4).tolist() == [1]
    # fewer levels clamp lower
    assert ext.map_roi_levels(rois, 2).tolist() == [0, 0, 1, 1, 1, 1, 1]


def test_forward_pools_each_roi_from_its_level():
    torch.manual_seed(0)
    ext = make_extractor()
    feats = [torch.randn(2, 3, 64 // s * 4, 64 // s * 4, dtype=torch.float64) for s in STRIDES]
    rois = torch.tensor([[0., 1., 2., 40., 50.], [1., 0., 0., 150., 120.],
                         [0., 5., 5., 250., 250.], [1., 3., 4., 20., 9.]], dtype=torch.float64)
    out = ext(feats, rois)
    assert out.shape == (4, 3, 7, 7)
    levels = ext.map_roi_levels(rois, 4).tolist()
    assert levels == [0, 1, 2, 0]
    for i, lvl in enumerate(levels):
        ref = tv_roi_align(feats[lvl], rois[i:i + 1], 7, 1 / STRIDES[lvl], 0, aligned=True)
        torch.testing.assert_close(out[i:i + 1], ref, rtol=0, atol=1e-12)


def test_empty_rois_and_gradient_reaches_every_level():
    ext = make_extractor()
    feats = [torch.randn(1, 3, 16 // (s // 4), 16 // (s // 4), requires_grad=True)
             for s in STRIDES]
    out = ext(feats, torch.zeros(0, 5))
    assert out.shape == (0, 3, 7, 7)
    out = ext(feats, torch.tensor([[0., 0., 0., 20., 20.]]))
    out.sum().backward()
    # level 0 gets the gradient; unused levels are still in the graph (zero gradient)
    assert feats[0].grad.abs().sum() > 0
    assert all(f.grad is not None and f.grad.abs().sum() == 0 for f in feats[1:])


def test_roi_rescale_about_centre():
    ext = make_extractor()
    rois = torch.tensor([[1., 10., 20., 30., 60.]])
    out = ext.roi_rescale(rois, 1.5)
    # centre (20, 40), w 20 -> 30, h 40 -> 60
    torch.testing.assert_close(out, torch.tensor([[1., 5., 10., 35., 70.]]))


def test_matches_torchvision_multiscale_roi_align():
    """torchvision's Faster R-CNN pools with sampling_ratio=2, aligned=False and maps
    levels by floor(4 + log2(sqrt(area) / 224) + 1e-6) - 2, i.e. floor(log2(s / 56) + 1e-6)
    against our floor(log2(s / 56 + 1e-6)). The boxes below have s in
    {30, 80, 150, 180, 300, 600}, far from the level boundaries 112/224/448, so both
    map them to levels [0, 0, 1, 1, 2, 3]."""
    torch.manual_seed(0)
    img_size = 256
    feats = [torch.randn(2, 3, img_size // s, img_size // s) for s in STRIDES]
    sides = [30., 80., 150., 180., 300., 600.]
    boxes = [torch.tensor([[2. + i, 3., 2. + i + s, 3. + s] for i, s in enumerate(sides[:3])]),
             torch.tensor([[1., 5. + i, 1. + s, 5. + i + s] for i, s in enumerate(sides[3:])])]
    tv_pool = MultiScaleRoIAlign(['0', '1', '2', '3'], output_size=7, sampling_ratio=2)
    ref = tv_pool(OrderedDict((str(i), f) for i, f in enumerate(feats)), boxes,
                  [(img_size, img_size)] * 2)
    ext = make_extractor(sampling_ratio=2, aligned=False)
    rois = torch.cat([torch.cat([torch.full((len(b), 1), float(i)), b], 1)
                      for i, b in enumerate(boxes)])
    assert ext.map_roi_levels(rois, 4).tolist() == [0, 0, 1, 1, 2, 3]
    tv_levels = [min(max(math.floor(4 + math.log2(s / 224) + 1e-6), 2), 5) - 2 for s in sides]
    assert tv_levels == [0, 0, 1, 1, 2, 3]
    torch.testing.assert_close(ext(feats, rois), ref, rtol=0, atol=1e-5)


def test_unknown_roi_layer_type_is_named():
    with pytest.raises(KeyError, match=r"'RoIAlgn' is not a RoI layer.*did you mean 'RoIAlign'"):
        SingleRoIExtractor(roi_layer=dict(type='RoIAlgn', output_size=7), out_channels=3,
                           featmap_strides=STRIDES)
    with pytest.raises(KeyError, match='must be a dict with a "type"'):
        SingleRoIExtractor(roi_layer=dict(output_size=7), out_channels=3,
                           featmap_strides=STRIDES)


def test_roi_pool_layer():
    ext = SingleRoIExtractor(roi_layer=dict(type='RoIPool', output_size=2), out_channels=1,
                             featmap_strides=[1])
    feat = torch.arange(16.).view(1, 1, 4, 4)
    out = ext([feat], torch.tensor([[0., 0., 0., 3., 3.]]))
    # max over each 2x2 quadrant of the 4x4 ramp
    torch.testing.assert_close(out, torch.tensor([[[[5., 7.], [13., 15.]]]]))
