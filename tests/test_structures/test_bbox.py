import numpy as np
import pytest
import torch

from detkit.structures import (
    bbox2distance,
    bbox2result,
    bbox2roi,
    bbox_cxcywh_to_xyxy,
    bbox_flip,
    bbox_mapping,
    bbox_mapping_back,
    bbox_rescale,
    bbox_xyxy_to_cxcywh,
    distance2bbox,
    find_inside_bboxes,
    roi2bbox,
)


def test_bbox_flip_all_directions():
    b = torch.tensor([[1., 2., 4., 7.]])
    shape = (10, 20, 3)  # H=10, W=20
    assert bbox_flip(b, shape, 'horizontal').tolist() == [[16., 2., 19., 7.]]
    assert bbox_flip(b, shape, 'vertical').tolist() == [[1., 3., 4., 8.]]
    assert bbox_flip(b, shape, 'diagonal').tolist() == [[16., 3., 19., 8.]]
    # k boxes per row and numpy input
    b8 = np.array([[1., 2., 4., 7., 0., 0., 20., 10.]])
    np.testing.assert_array_equal(bbox_flip(b8, shape), [[16., 2., 19., 7., 0., 0., 20., 10.]])
    with pytest.raises(ValueError, match="did you mean 'vertical'"):
        bbox_flip(b, shape, 'vertcal')


def test_bbox_mapping_roundtrip():
    b = torch.tensor([[10., 20., 30., 40.]])
    sf = np.array([2., 0.5, 2., 0.5], dtype=np.float32)
    img_shape = (50, 100)
    m = bbox_mapping(b, img_shape, sf, True, 'horizontal')
    # scaled: [20, 10, 60, 20], flipped in W=100: [40, 10, 80, 20]
    assert m.tolist() == [[40., 10., 80., 20.]]
    back = bbox_mapping_back(m, img_shape, sf, True, 'horizontal')
    assert torch.allclose(back, b)
    m = bbox_mapping(b, img_shape, sf, True, 'diagonal')
    assert m.tolist() == [[40., 30., 80., 40.]]
    assert torch.allclose(bbox_mapping_back(m, img_shape, sf, True, 'diagonal'), b)
    assert bbox_mapping(b, img_shape, 1.5, False).tolist() == [[15., 30., 45., 60.]]


def test_bbox2roi_roi2bbox():
    a = torch.tensor([[0., 0., 1., 1., 0.9], [1., 1., 2., 2., 0.8]])
    e = torch.zeros((0, 5))
    c = torch.tensor([[3., 3., 4., 4., 0.7]])
    rois = bbox2roi([a, e, c])
    assert rois.tolist() == [[0, 0, 0, 1, 1], [0, 1, 1, 2, 2], [2, 3, 3, 4, 4]]
    assert bbox2roi([e]).shape == (0, 5)
    back = roi2bbox(rois)
    assert len(back) == 2  # image 1 has none: no entry, as MMDetection
    assert back[0].tolist() == a[:, :4].tolist() and back[1].tolist() == c[:, :4].tolist()


def test_bbox2result():
    bboxes = torch.tensor([[0., 0., 1., 1., .9], [1., 1., 2., 2., .8], [2, 2, 3, 3, .7]])
    labels = torch.tensor([2, 0, 2])
    res = bbox2result(bboxes, labels, 3)
    assert len(res) == 3 and all(isinstance(r, np.ndarray) for r in res)
    assert res[0].tolist() == [bboxes[1].tolist()]
    assert res[1].shape == (0, 5)
    np.testing.assert_allclose(res[2], bboxes[[0, 2]].numpy())
    empty = bbox2result(torch.zeros((0, 5)), torch.zeros((0,), dtype=torch.long), 2)
    assert len(empty) == 2 and empty[0].shape == (0, 5) and empty[0].dtype == np.float32
    res = bbox2result(bboxes.numpy(), labels.numpy(), 3)
    assert res[0].shape == (1, 5)


def test_distance2bbox_and_back():
    pts = torch.tensor([[5., 5.], [1., 9.]])
    dist = torch.tensor([[1., 2., 3., 4.], [2., 2., 2., 2.]])
    assert distance2bbox(pts, dist).tolist() == [[4., 3., 8., 9.], [-1., 7., 3., 11.]]
    # clamp to [0, W] x [0, H] with H=10, W=7
    assert distance2bbox(pts, dist, (10, 7)).tolist() == [[4., 3., 7., 9.], [0., 7., 3., 10.]]
    # batched with one max_shape per image
    bp, bd = pts[None].repeat(2, 1, 1), dist[None].repeat(2, 1, 1)
    out = distance2bbox(bp, bd, [(10, 7, 3), (8, 100, 3)])
    assert out[0].tolist() == [[4., 3., 7., 9.], [0., 7., 3., 10.]]
    assert out[1].tolist() == [[4., 3., 8., 8.], [0., 7., 3., 8.]]
    # batched with one shared max_shape, also as a tensor
    out = distance2bbox(bp, bd, torch.tensor([10, 7]))
    assert out[1].tolist() == [[4., 3., 7., 9.], [0., 7., 3., 10.]]
    with pytest.raises(ValueError, match='per-image max_shape'):
        distance2bbox(bp, bd, [(10, 7), (10, 7), (10, 7)])
    box = torch.tensor([[4., 3., 8., 9.], [-1., 7., 3., 11.]])
    assert torch.equal(bbox2distance(pts, box), dist)
    clamped = bbox2distance(pts, box, max_dis=3.0, eps=0.1)
    assert torch.allclose(clamped, torch.tensor([[1., 2., 2.9, 2.9], [2., 2., 2., 2.]]))
    assert torch.allclose(bbox2distance(torch.tensor([[0., 0.]]), torch.tensor([[1., 1., 2, 2]]),
                                        max_dis=5.), torch.tensor([[0., 0., 2., 2.]]))


def test_bbox_rescale_and_cxcywh():
    b = torch.tensor([[0., 0., 4., 2.]])
    assert bbox_rescale(b, 2.).tolist() == [[-2., -1., 6., 3.]]
    r = torch.tensor([[3., 0., 0., 4., 2.]])
    assert bbox_rescale(r, 0.5).tolist() == [[3., 1., 0.5, 3., 1.5]]
    c = bbox_xyxy_to_cxcywh(b)
    assert c.tolist() == [[2., 1., 4., 2.]]
    assert bbox_cxcywh_to_xyxy(c).tolist() == b.tolist()
    batched = torch.rand(2, 3, 4)
    assert torch.allclose(bbox_cxcywh_to_xyxy(bbox_xyxy_to_cxcywh(batched)), batched, atol=1e-6)


def test_find_inside_bboxes():
    b = torch.tensor([[-5., -5., -1., -1.], [-5., -5., 1., 1.], [9., 9., 12., 12.],
                      [10., 0., 12., 3.]])
    assert find_inside_bboxes(b, 10, 10).tolist() == [False, True, True, False]
