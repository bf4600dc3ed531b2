import numpy as np
import pytest
import torch
import torchvision

from detkit.structures import BitmapMasks, PolygonMasks


def _one(h, w, pixels):
    m = np.zeros((1, h, w), np.uint8)
    for y, x in pixels:
        m[0, y, x] = 1
    return BitmapMasks(m, h, w)


def test_construct_index_len():
    m = BitmapMasks([np.ones((3, 4), np.uint8), np.zeros((3, 4), np.uint8)], 3, 4)
    assert len(m) == 2 and m.masks.shape == (2, 3, 4) and (m.height, m.width) == (3, 4)
    assert len(m[0]) == 1 and m[0].masks.shape == (1, 3, 4)
    assert m[np.array([False, True])].masks.sum() == 0
    assert len(m[[1, 0, 1]]) == 3
    e = BitmapMasks([], 5, 6)
    assert e.masks.shape == (0, 5, 6) and len(e) == 0
    with pytest.raises(ValueError, match='height=4'):
        BitmapMasks(np.zeros((1, 3, 4)), 4, 4)
    assert 'num_masks=2' in repr(m)


def test_flip_three_directions():
    m = _one(2, 3, [(0, 0)])
    assert m.flip('horizontal').masks[0].tolist() == [[0, 0, 1], [0, 0, 0]]
    assert m.flip('vertical').masks[0].tolist() == [[0, 0, 0], [1, 0, 0]]
    assert m.flip('diagonal').masks[0].tolist() == [[0, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError):
        m.flip('up')


def test_resize_rescale_pad_crop_expand():
    m = BitmapMasks(np.array([[[1, 0], [0, 1]]], np.uint8), 2, 2)
    r = m.resize((4, 4))
    assert r.masks[0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    r = BitmapMasks(np.ones((2, 10, 20), np.uint8), 10, 20).rescale((60, 15))
    # min(60 / 20, 15 / 10) = 1.5 -> (15, 30)
    assert r.masks.shape == (2, 15, 30) and (r.height, r.width) == (15, 30)
    assert r.masks.all()
    assert BitmapMasks([], 10, 20).rescale(2.0).masks.shape == (0, 20, 40)
    p = m.pad((3, 4))
    assert p.masks[0].tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    big = _one(5, 6, [(2, 3), (4, 5)])
    c = big.crop(np.array([3, 2, 10, 4]))  # clipped to x2=6
    assert (c.height, c.width) == (2, 3) and c.masks[0].tolist() == [[1, 0, 0], [0, 0, 0]]
    c = big.crop(np.array([5, 4, 5, 4]))  # at least 1 x 1
    assert c.masks.shape == (1, 1, 1) and c.masks[0, 0, 0] == 1
    e = m.expand(4, 5, 1, 2)
    assert e.masks[0].tolist() == [[0] * 5, [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0] * 5]


def test_translate_shear_rotate():
    m = _one(4, 5, [(1, 1)])
    assert np.argwhere(m.translate((4, 5), 2).masks[0]).tolist() == [[1, 3]]
    assert np.argwhere(m.translate((4, 5), 1, 'vertical').masks[0]).tolist() == [[2, 1]]
    assert np.argwhere(m.shear((4, 5), 1.0, 'vertical').masks[0]).tolist() == [[2, 1]]
    sq = _one(3, 3, [(0, 1)])
    rot = sq.rotate((3, 3), 90)  # clockwise about the centre pixel: top -> right
    assert np.argwhere(rot.masks[0]).tolist() == [[1, 2]] and rot.masks.dtype == np.uint8
    assert BitmapMasks([], 3, 3).rotate((3, 3), 90).masks.shape == (0, 3, 3)
    # many instances go through OpenCV in channel chunks
    many = BitmapMasks(np.tile(m.masks, (300, 1, 1)), 4, 5).translate((4, 5), 2)
    assert many.masks.shape == (300, 4, 5) and (many.masks[:, 1, 3] == 1).all()
    assert many.masks.sum() == 300


def test_areas_tensor_bboxes_random():
    m = BitmapMasks(np.array([[[0, 1, 1], [0, 1, 0]], [[0, 0, 0], [0, 0, 0]]], np.uint8), 2, 3)
    assert m.areas.tolist() == [3, 0]
    t = m.to_tensor(torch.float32, 'cpu')
    assert t.dtype == torch.float32 and t.shape == (2, 2, 3) and t.sum() == 3
    np.testing.assert_array_equal(m.get_bboxes(), [[1, 0, 3, 2], [0, 0, 0, 0]])
    assert m.to_ndarray() is m.masks
    r = BitmapMasks.random(4, 6, 7, rng=np.random.RandomState(0))
    assert r.masks.shape == (4, 6, 7) and r.masks.dtype == np.uint8
    assert 0.8 < r.masks.mean() < 1.0


# crop_and_resize runs detkit.ops.roi_align; torchvision's is the reference
def test_crop_and_resize_against_torchvision_roi_align():
    rng = np.random.RandomState(0)
    masks = BitmapMasks((rng.rand(3, 16, 20) > 0.5).astype(np.uint8), 16, 20)
    bboxes = np.array([[2., 3., 10., 12.], [0., 0., 20., 16.], [5.5, 1.25, 9., 15.]], np.float32)
    inds = np.array([1, 0, 1])
    out = masks.crop_and_resize(bboxes, (7, 5), inds, binarize=False)
    rois = torch.cat([torch.arange(3.)[:, None], torch.from_numpy(bboxes)], 1)
    ref = torchvision.ops.roi_align(torch.from_numpy(masks.masks[inds]).float()[:, None], rois,
                                    (7, 5), 1.0, 0, aligned=True)[:, 0]
    assert out.masks.shape == (3, 7, 5) and (out.height, out.width) == (7, 5)
    np.testing.assert_allclose(out.masks, ref.numpy(), atol=1e-6)
    binary = masks.crop_and_resize(torch.from_numpy(bboxes), (7, 5), torch.from_numpy(inds))
    np.testing.assert_array_equal(binary.masks, ref.numpy() >= 0.5)


def test_crop_and_resize_hand_computed_and_agrees_with_polygons():
    m = np.zeros((1, 8, 8), np.uint8)
    m[0, 2:6, 2:6] = 1  # a 4 x 4 square
    bm = BitmapMasks(m, 8, 8)
    # the square's own box -> all ones; the left half of a box twice as wide -> half ones
    full = bm.crop_and_resize(np.array([[2., 2., 6., 6.]]), (4, 4), np.array([0]))
    assert full.masks.all()
    half = bm.crop_and_resize(np.array([[-2., 2., 6., 6.]]), (4, 4), np.array([0]))
    assert half.masks[0].astype(int).tolist() == [[0, 0, 1, 1]] * 4
    pm = PolygonMasks([[np.array([2., 2., 6., 2., 6., 6., 2., 6.])]], 8, 8)
    phalf = pm.crop_and_resize(np.array([[-2., 2., 6., 6.]]), (4, 4), np.array([0]))
    np.testing.assert_array_equal(phalf.to_ndarray(), half.masks)
    assert len(bm.crop_and_resize(np.zeros((0, 4), np.float32), (4, 4), np.zeros(0, int))) == 0
    assert BitmapMasks([], 8, 8).crop_and_resize(np.zeros((1, 4)), (3, 3),
                                                 np.array([0])).masks.shape == (0, 3, 3)
