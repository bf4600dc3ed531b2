import numpy as np
import pytest

from detkit.datasets.pipelines.random_center_crop_pad import RandomCenterCropPad

NORM = dict(mean=(1., 2., 3.), std=(1., 1., 1.), to_rgb=True)


def _feed(monkeypatch, name, values):
    it = iter(values)
    monkeypatch.setattr(np.random, name, lambda *a, **k: next(it))


def test_test_mode_logical_or_padding():
    img = np.random.RandomState(0).rand(10, 12, 3).astype(np.float32)
    t = RandomCenterCropPad(crop_size=None, ratios=None, border=None, test_mode=True,
                            test_pad_mode=('logical_or', 127), **NORM)
    out = t(dict(img=img))
    canvas = out['img']
    assert canvas.shape == (127, 127, 3) and out['pad_shape'] == (127, 127, 3)
    assert out['img_shape'] == (10, 12, 3)
    # centre (5, 6) of the image at (63, 63) of the canvas
    np.testing.assert_array_equal(canvas[58:68, 57:69], img)
    np.testing.assert_array_equal(out['border'], [58, 68, 57, 69])
    np.testing.assert_array_equal(canvas[0, 0], [3, 2, 1])  # mean, reversed to BGR


def test_test_mode_size_divisor():
    img = np.ones((10, 40, 3), np.float32)
    t = RandomCenterCropPad(crop_size=None, ratios=None, border=None, test_mode=True,
                            test_pad_mode=('size_divisor', 32), **NORM)
    out = t(dict(img=img))
    assert out['img'].shape == (32, 64, 3)
    np.testing.assert_array_equal(out['border'], [11, 21, 12, 52])


def test_train_crop_at_given_centre(monkeypatch):
    img = np.random.RandomState(1).rand(100, 100, 3).astype(np.float32)
    boxes = np.array([[10, 20, 30, 40], [80, 80, 90, 90], [0, 50, 20, 70]], np.float32)
    _feed(monkeypatch, 'randint', [30, 40])  # centre x, centre y
    t = RandomCenterCropPad(crop_size=(50, 50), ratios=(1.0,), border=10,
                            test_pad_mode=None, **NORM)
    out = t(dict(img=img, gt_bboxes=boxes.copy(), gt_labels=np.array([0, 1, 2]),
                 bbox_fields=['gt_bboxes']))
    np.testing.assert_array_equal(out['img'], img[15:65, 5:55])
    # shift (25 - 30, 25 - 40); box 1's centre is outside; box 2 clipped to y <= 50
    np.testing.assert_allclose(out['gt_bboxes'], [[5, 5, 25, 25], [0, 35, 15, 50]])
    np.testing.assert_array_equal(out['gt_labels'], [0, 2])
    assert out['img_shape'] == out['pad_shape'] == (50, 50, 3)


def test_train_crop_near_border_pads_with_mean(monkeypatch):
    img = np.full((100, 100, 3), 9, np.float32)
    _feed(monkeypatch, 'randint', [10, 50])
    t = RandomCenterCropPad(crop_size=(50, 50), ratios=(1.0,), border=10,
                            test_pad_mode=None, **NORM)
    out = t(dict(img=img, gt_bboxes=np.array([[5, 45, 15, 55]], np.float32),
                 gt_labels=np.array([3]), bbox_fields=['gt_bboxes']))
    canvas = out['img']
    assert (canvas[:, :15] == [3, 2, 1]).all() and (canvas[:, 15:] == 9).all()
    np.testing.assert_allclose(out['gt_bboxes'], [[20, 20, 30, 30]])


def test_get_border():
    assert RandomCenterCropPad._get_border(128, 512) == 128
    assert RandomCenterCropPad._get_border(128, 200) == 64   # k = 1.28 -> halve once
    assert RandomCenterCropPad._get_border(128, 256) == 64   # k = 1 exactly -> halve


def test_errors():
    with pytest.raises(ValueError, match='mean, std and to_rgb'):
        RandomCenterCropPad(crop_size=(5, 5), test_pad_mode=None)
    t = RandomCenterCropPad(crop_size=(5, 5), test_pad_mode=None, **NORM)
    with pytest.raises(TypeError, match='float32'):
        t(dict(img=np.zeros((4, 4, 3), np.uint8)))
    with pytest.raises(KeyError, match="RandomCenterCropPad needs the key 'gt_bboxes'"):
        t(dict(img=np.zeros((4, 4, 3), np.float32)))
    with pytest.raises(ValueError, match='semantic maps'):
        t(dict(img=np.zeros((4, 4, 3), np.float32), gt_bboxes=np.zeros((0, 4)),
               gt_semantic_seg=np.zeros((4, 4)), seg_fields=['gt_semantic_seg']))


def test_train_masks_follow_boxes(monkeypatch):
    from detkit.structures import BitmapMasks
    img = np.random.RandomState(1).rand(100, 100, 3).astype(np.float32)
    boxes = np.array([[10, 20, 30, 40], [80, 80, 90, 90], [0, 50, 20, 70], [2, 2, 6, 6]],
                     np.float32)
    bit = np.zeros((4, 100, 100), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        bit[i, y1:y2, x1:x2] = 1
    # centre (10, 50): the canvas gets 15 px of padding on the left
    _feed(monkeypatch, 'randint', [10, 50])
    t = RandomCenterCropPad(crop_size=(50, 50), ratios=(1.0,), border=10,
                            test_pad_mode=None, **NORM)
    out = t(dict(img=img, gt_bboxes=boxes, gt_labels=np.arange(4), bbox_fields=['gt_bboxes'],
                 gt_masks=BitmapMasks(bit, 100, 100), mask_fields=['gt_masks']))
    # shift (25 - 10, 25 - 50): box 0 -> [25, -5, 45, 15] -> clipped [25, 0, 45, 15];
    # box 2 -> [15, 25, 35, 45]; boxes 1 and 3 have their centre outside the crop
    np.testing.assert_allclose(out['gt_bboxes'], [[25, 0, 45, 15], [15, 25, 35, 45]])
    np.testing.assert_array_equal(out['gt_labels'], [0, 2])
    masks = out['gt_masks']
    assert (masks.height, masks.width) == (50, 50)
    np.testing.assert_allclose(masks.get_bboxes(), out['gt_bboxes'])
