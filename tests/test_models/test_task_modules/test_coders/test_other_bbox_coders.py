import pytest
import torch

from detkit.models.task_modules import build_bbox_coder

PRIORS = torch.tensor([[0., 0., 10., 10.], [5., 5., 20., 30.]])
GTS = torch.tensor([[1., 2., 9., 12.], [4., 6., 25., 28.]])


def test_legacy_delta_coder():
    coder = build_bbox_coder(dict(type='LegacyDeltaXYWHBBoxCoder'))
    d = coder.encode(PRIORS, GTS)
    # widths are x2 - x1 + 1: prior 11x11, gt 9x11, centres (5, 5) -> (5, 7)
    assert d[0].tolist() == pytest.approx([0, 2 / 11, torch.log(torch.tensor(9 / 11)).item(), 0],
                                          abs=1e-6)
    assert torch.allclose(coder.decode(PRIORS, d), GTS, atol=1e-4)
    out = coder.decode(PRIORS, d, max_shape=(10, 8))
    assert out[1].tolist() == pytest.approx([4, 6, 7, 9])


def test_tblr_coder():
    coder = build_bbox_coder(dict(type='TBLRBBoxCoder', normalizer=4.0))
    t = coder.encode(PRIORS, GTS)
    # prior 0 centre (5, 5), 10x10: top 3, bottom 7, left 4, right 4 -> / 10 / 4
    assert t[0].tolist() == pytest.approx([0.075, 0.175, 0.1, 0.1])
    assert torch.allclose(coder.decode(PRIORS, t), GTS, atol=1e-5)
    assert torch.allclose(coder.decode(PRIORS[None], t[None], max_shape=[(10, 24)])[0, 1],
                          torch.tensor([4., 6., 24., 10.]))
    per_side = build_bbox_coder(dict(type='TBLRBBoxCoder', normalizer=[1., 2., 4., 8.]))
    assert torch.allclose(per_side.decode(PRIORS, per_side.encode(PRIORS, GTS)), GTS, atol=1e-5)


def test_distance_point_coder():
    coder = build_bbox_coder(dict(type='DistancePointBBoxCoder'))
    points = torch.tensor([[5., 7.], [10., 10.]])
    d = coder.encode(points, GTS)
    assert d[0].tolist() == [4., 5., 4., 5.]
    assert torch.allclose(coder.decode(points, d), GTS)
    assert coder.decode(points, d, max_shape=(11, 8))[1].tolist() == [4., 6., 8., 11.]
    assert coder.encode(points, GTS, max_dis=4.5)[0].tolist() == pytest.approx([4., 4.4, 4., 4.4])
    free = build_bbox_coder(dict(type='DistancePointBBoxCoder', clip_border=False))
    assert torch.allclose(free.decode(points, d, max_shape=(11, 8)), GTS)


def test_yolo_coder():
    coder = build_bbox_coder(dict(type='YOLOBBoxCoder'))
    anchors = torch.tensor([[0., 0., 32., 32.]])
    gt = torch.tensor([[8., 4., 40., 20.]])  # centre (24, 12), 32x16
    t = coder.encode(anchors, gt, stride=32)
    assert t[0].tolist() == pytest.approx([0.75, 0.375, 0.0, torch.log(torch.tensor(0.5)).item()])
    assert torch.allclose(coder.decode(anchors, t, stride=32), gt)
    strides = torch.tensor([32.])
    assert torch.allclose(coder.decode(anchors, t, strides), gt)


def test_pseudo_coder_and_unknown_type():
    coder = build_bbox_coder(dict(type='PseudoBBoxCoder'))
    assert coder.encode(PRIORS, GTS) is GTS and coder.decode(PRIORS, GTS) is GTS
    with pytest.raises(KeyError, match="did you mean 'DeltaXYWHBBoxCoder'"):
        build_bbox_coder(dict(type='DeltaXYWHBoxCoder'))
