"""Decoded values that MMDetection 2.x's own coder tests assert (the behaviour we match)."""
import pytest
import torch

from detkit.models.task_modules import build_bbox_coder

ROIS = torch.tensor([[0., 0., 1., 1.], [0., 0., 1., 1.], [0., 0., 1., 1.], [5., 5., 5., 5.]])
DELTAS = torch.tensor([[0., 0., 0., 0.], [1., 1., 1., 1.], [0., 0., 2., -1.],
                       [0.7, -1.9, -0.5, 0.3]])


def test_yolo_decode():
    coder = build_bbox_coder(dict(type='YOLOBBoxCoder'))
    anchors = torch.tensor([[-42., -29., 74., 61.], [-10., -29., 106., 61.],
                            [22., -29., 138., 61.], [54., -29., 170., 61.]])
    preds = torch.tensor([[0.4709, 0.6152, 0.1690, -0.4056], [0.5399, 0.6653, 0.1162, -0.4162],
                          [0.4654, 0.6618, 0.1548, -0.4301], [0.4786, 0.6197, 0.1896, -0.4479]])
    want = torch.tensor([[-53.6102, -10.3096, 83.7478, 49.6824],
                         [-15.8700, -8.3901, 114.4236, 50.9693],
                         [11.1822, -8.0924, 146.6034, 50.4476],
                         [41.2068, -8.9232, 181.4236, 48.5840]])
    assert torch.allclose(coder.decode(anchors, preds, 32), want, atol=1e-4)


def test_delta_decode_with_ctr_clamp():
    coder = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder', add_ctr_clamp=True, ctr_clamp=2))
    rois = ROIS.clone()
    rois[0] = torch.tensor([0., 0., 6., 6.])
    deltas = DELTAS.clone()
    deltas[0] = torch.tensor([1., 1., 2., 2.])
    want = torch.tensor([[0.0000, 0.0000, 27.1672, 27.1672], [0.1409, 0.1409, 2.8591, 2.8591],
                         [0.0000, 0.3161, 4.1945, 0.6839], [5.0000, 5.0000, 5.0000, 5.0000]])
    assert torch.allclose(coder.decode(rois, deltas, max_shape=(32, 32)), want, atol=1e-4)
    plain = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder'))
    out = plain.decode(ROIS, DELTAS, max_shape=torch.tensor((32, 32)))
    batch = plain.decode(ROIS[None].repeat(2, 1, 1), DELTAS[None].repeat(2, 1, 1),
                         max_shape=[(32, 32), (32, 32)])
    assert torch.allclose(batch[1], out)
    with pytest.raises(ValueError, match='per-image max_shape'):
        plain.decode(ROIS[None].repeat(2, 1, 1), DELTAS[None].repeat(2, 1, 1),
                     max_shape=[(32, 32)] * 3)


def test_tblr_decode():
    coder = build_bbox_coder(dict(type='TBLRBBoxCoder', normalizer=15.))
    want = torch.tensor([[0.5, 0.5, 0.5, 0.5], [0., 0., 12., 13.], [0., 0.5, 0., 0.5],
                         [5., 5., 5., 5.]])
    assert torch.allclose(coder.decode(ROIS, DELTAS, max_shape=(13, 12)), want)
    batch = coder.decode(ROIS[None].repeat(2, 1, 1), DELTAS[None].repeat(2, 1, 1),
                         max_shape=[(13, 12), (13, 12)])
    assert torch.allclose(batch[0], want)
    assert coder.decode(torch.zeros(0, 4), torch.zeros(0, 4), max_shape=(32, 32)).shape == (0, 4)


def test_distance_point_encode_decode():
    coder = build_bbox_coder(dict(type='DistancePointBBoxCoder'))
    points = torch.tensor([[74., 61.], [-29., 106.], [138., 61.], [29., 170.]])
    gts = torch.tensor([[74., 61., 75., 62.], [0., 104., 0., 112.], [100., 90., 100., 120.],
                        [0., 120., 100., 120.]])
    want = torch.tensor([[0., 0., 1., 1.], [0., 2., 29., 6.], [38., 0., 0., 50.],
                         [29., 50., 50., 0.]])
    assert torch.allclose(coder.encode(points, gts, max_dis=50, eps=0), want)
    dist = torch.tensor([[0., 0, 1., 1.], [1., 2., 10., 6.], [22., -29., 138., 61.],
                         [54., -29., 170., 61.]])
    assert torch.allclose(coder.decode(points, dist, max_shape=(120, 100)), gts)
