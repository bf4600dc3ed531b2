import numpy as np
import pytest
import torch

from detkit.structures import BitmapMasks, PolygonMasks


def _rect(x1, y1, x2, y2):
    return np.array([x1, y1, x2, y1, x2, y2, x1, y2], dtype=np.float64)


def _pair():
    """Integer rectangles (exact rasterisation) plus a two-part instance."""
    polys = PolygonMasks([[_rect(1, 1, 5, 4)], [_rect(6, 2, 9, 7), _rect(0, 6, 2, 8)]], 8, 10)
    return polys, polys.to_bitmap()


def test_to_bitmap_areas_bboxes():
    p, b = _pair()
    assert isinstance(b, BitmapMasks) and b.masks.shape == (2, 8, 10)
    assert b.masks[0, 1:4, 1:5].all() and b.masks[0].sum() == 12
    assert p.areas.tolist() == [12.0, 19.0] and b.areas.tolist() == [12, 19]
    np.testing.assert_array_equal(p.get_bboxes(), [[1, 1, 5, 4], [0, 2, 9, 8]])
    np.testing.assert_array_equal(b.get_bboxes(), p.get_bboxes())
    tri = PolygonMasks([[np.array([0., 0., 4., 0., 0., 4.])]], 5, 5)
    assert tri.areas.tolist() == [8.0]
    t = p.to_tensor(torch.uint8, 'cpu')
    assert t.shape == (2, 8, 10) and t.dtype == torch.uint8 and int(t.sum()) == 31
    assert PolygonMasks([], 3, 4).to_ndarray().shape == (0, 3, 4)
    assert PolygonMasks([], 3, 4).to_tensor(torch.float32, 'cpu').shape == (0, 3, 4)


def test_getitem():
    p, _ = _pair()
    assert len(p[0]) == 1 and len(p[0].masks[0]) == 1
    assert len(p[1].masks[0]) == 2
    assert len(p[np.array([1, 0, 1])]) == 3
    assert len(p[np.array([False, True])]) == 1 and len(p[1:]) == 1
    assert len(p[torch.tensor([0])]) == 1
    # bool tensors select like bool arrays (not as indices 0 / 1)
    b = p.to_bitmap()
    for idx in (torch.tensor([False, True]), np.int64(1), torch.tensor(1), np.array([1, 1])):
        np.testing.assert_array_equal(p[idx].to_ndarray(), b[idx].masks)
    with pytest.raises(ValueError, match='unsupported index'):
        p['a']


@pytest.mark.parametrize('op', [
    lambda m: m.flip('horizontal'),
    lambda m: m.flip('vertical'),
    lambda m: m.flip('diagonal'),
    lambda m: m.resize((16, 20)),
    lambda m: m.rescale(2.0),
    lambda m: m.pad((12, 13)),
    lambda m: m.crop(np.array([2, 3, 8, 8])),
    lambda m: m.crop(np.array([-3, -2, 4, 20])),
    lambda m: m.expand(12, 15, 3, 2),
    lambda m: m.translate((8, 10), 3),
    lambda m: m.translate((8, 10), -2, 'vertical'),
    lambda m: m.rotate((8, 8), 90),
])
def test_bitmap_polygon_agree_exactly(op):
    p, b = _pair()
    if op(p).height == 8 and op(p).width == 8:  # rotation: use a square canvas
        p = PolygonMasks(p.masks, 8, 8)
        p = p[0]
        b = p.to_bitmap()
    pp, bb = op(p), op(b)
    assert isinstance(pp, PolygonMasks) and isinstance(bb, BitmapMasks)
    assert (pp.height, pp.width) == (bb.height, bb.width)
    np.testing.assert_array_equal(pp.to_ndarray().astype(np.uint8), bb.masks.astype(np.uint8))


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_random_polygons_agree_to_a_pixel(seed):
    """Rasterising then transforming vs transforming then rasterising: pycocotools'
    rasterisation is exact to a pixel, so tight boxes agree to one source pixel
    (two output pixels after a 2x resize); warps resample, so add a pixel and an IoU."""
    p = PolygonMasks.random(4, 40, 50, n_verts=7, rng=np.random.RandomState(seed))
    b = p.to_bitmap()
    cases = [(lambda m: m.flip('horizontal'), 1), (lambda m: m.flip('vertical'), 1),
             (lambda m: m.flip('diagonal'), 1), (lambda m: m.crop(np.array([5, 4, 35, 30])), 1),
             (lambda m: m.resize((80, 100)), 2), (lambda m: m.shear((40, 50), 0.3), 2),
             (lambda m: m.rotate((40, 50), 30), 3)]
    for op, tol in cases:
        pm, bm = op(p).to_ndarray().astype(bool), op(b).masks.astype(bool)
        pb, bb = op(p).to_bitmap().get_bboxes(), op(b).get_bboxes()
        assert np.abs(pb - bb).max() <= tol, (pb, bb)
        iou = (pm & bm).sum((1, 2)) / (pm | bm).sum((1, 2))
        assert iou.min() > 0.75, iou


def test_crop_clips_polygons():
    p = PolygonMasks([[_rect(1, 1, 5, 4)], [_rect(6, 2, 9, 7)]], 8, 10)
    c = p.crop(np.array([3, 2, 6, 8]))
    assert (c.height, c.width) == (6, 3)
    # first rectangle clipped to x in [3, 5], y in [2, 4] -> shifted by (3, 2)
    np.testing.assert_array_equal(c.get_bboxes()[0], [0, 0, 2, 2])
    assert c.areas[0] == 4.0
    # the second lies outside: a zero-area placeholder keeps alignment with boxes
    assert len(c) == 2 and c.areas[1] == 0 and c.to_ndarray()[1].sum() == 0
    # a concave L-shape split into two pieces by the crop keeps the right area
    l_shape = np.array([0, 0, 6, 0, 6, 2, 2, 2, 2, 6, 6, 6, 6, 8, 0, 8], np.float64)
    lc = PolygonMasks([[l_shape]], 10, 10).crop(np.array([3, 0, 10, 10]))
    assert lc.areas[0] == pytest.approx(3 * 2 + 3 * 2)
    np.testing.assert_array_equal(lc.to_ndarray()[0].sum(), 12)


def test_crop_and_resize_polygons():
    p = PolygonMasks([[_rect(2, 2, 6, 6)], [_rect(0, 0, 2, 2)]], 8, 8)
    out = p.crop_and_resize(np.array([[2., 2., 6., 6.], [0., 0., 4., 4.]]), (4, 4),
                            np.array([0, 1]))
    arr = out.to_ndarray()
    assert arr.shape == (2, 4, 4) and arr[0].all()
    assert arr[1].astype(int).tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0] * 4, [0] * 4]
    with pytest.raises(ValueError, match='binarize'):
        p.crop_and_resize(np.zeros((1, 4)), (4, 4), np.array([0]), binarize=False)


def test_shear_translate_clamp_and_fill():
    p = PolygonMasks([[_rect(1, 1, 3, 3)]], 6, 6)
    s = p.shear((6, 6), 1.0, 'horizontal')  # x' = x + y
    np.testing.assert_allclose(s.masks[0][0], [2, 1, 4, 1, 6, 3, 4, 3])
    t = p.translate((6, 6), 5)  # clamped at W
    np.testing.assert_allclose(t.masks[0][0][0::2], [6, 6, 6, 6])
    with pytest.raises(ValueError, match='fill_val'):
        p.translate((6, 6), 1, fill_val=3)
