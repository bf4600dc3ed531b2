import numpy as np
import pytest

from detkit.datasets.pipelines.shear import Shear


def _feed_rand(monkeypatch, values):
    it = iter(values)
    monkeypatch.setattr(np.random, 'rand', lambda *a: next(it))


def _results():
    img = np.zeros((20, 30, 3), np.uint8)
    img[4, 2] = 255  # marks the top-left corner of box 0
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[2, 4, 6, 8], [28, 10, 30, 12]], np.float32),
                gt_labels=np.array([3, 7]))


def test_horizontal_shear_of_known_box(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.9])  # apply; 0.9 >= 0.5 keeps the sign
    t = Shear(level=10, prob=0.5, max_shear_magnitude=0.5, interpolation='nearest',
              img_fill_val=0)
    out = t(_results())
    # x' = x + 0.5 y: corners x -> 4, 8, 6, 10; the second box leaves the image
    np.testing.assert_allclose(out['gt_bboxes'], [[4, 4, 10, 8]])
    np.testing.assert_array_equal(out['gt_labels'], [3])
    assert out['gt_bboxes'].dtype == np.float32
    assert out['img'][4, 4, 0] == 255 and out['img'].sum() == 3 * 255
    assert out['img'].dtype == np.uint8 and out['img'].shape == (20, 30, 3)


def test_vertical_and_negative_shear(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.9])
    out = Shear(10, prob=1.0, direction='vertical', max_shear_magnitude=0.5)(_results())
    # y' = y + 0.5 x: corners y -> 5, 7, 9, 11; box 1: y + 14..15 -> clipped at 20 -> empty
    np.testing.assert_allclose(out['gt_bboxes'][0], [2, 5, 6, 11])
    _feed_rand(monkeypatch, [0.0, 0.1])  # 0.1 < 0.5 negates
    out = Shear(10, prob=1.0, max_shear_magnitude=0.5)(_results())
    # x' = x - 0.5 y: 0, 4, -2, 2 -> [0 (clipped), 4, 4, 8]
    np.testing.assert_allclose(out['gt_bboxes'][0], [0, 4, 4, 8])


def test_seg_border_uses_ignore_label(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.9])
    res = _results()
    res['gt_semantic_seg'] = np.ones((20, 30), np.uint8)
    res['seg_fields'] = ['gt_semantic_seg']
    out = Shear(10, prob=1.0, max_shear_magnitude=0.5, seg_ignore_label=255,
                interpolation='nearest')(res)
    seg = out['gt_semantic_seg']
    # row 10 is shifted right by 5: its first 5 pixels come from outside
    assert (seg[10, :5] == 255).all() and (seg[10, 5:] == 1).all()


def test_arguments_and_missing_key():
    with pytest.raises(ValueError, match='direction'):
        Shear(1, direction='diagonal')
    with pytest.raises(ValueError, match='max_shear_magnitude'):
        Shear(1, max_shear_magnitude=2.0)
    with pytest.raises(ValueError, match='img_fill_val'):
        Shear(1, img_fill_val=(1, 2))
    with pytest.raises(KeyError, match="Shear needs the key 'img_shape'"):
        Shear(1, prob=1.0)(dict(img=np.zeros((2, 2, 3), np.uint8)))


def test_masks_follow_boxes(monkeypatch):
    from detkit.structures import BitmapMasks
    _feed_rand(monkeypatch, [0.0, 0.9])
    res = _results()
    h, w = res['img'].shape[:2]
    bit = np.zeros((len(res['gt_bboxes']), h, w), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(res['gt_bboxes'].astype(int)):
        bit[i, y1:y2, x1:x2] = 1
    res['gt_masks'] = BitmapMasks(bit, h, w)
    res['mask_fields'] = ['gt_masks']
    out = Shear(level=10, prob=1.0, max_shear_magnitude=0.5, interpolation='nearest')(res)
    assert len(out['gt_masks']) == len(out['gt_bboxes']) == 1
    # pixel rows sit at integer y, the box's bottom edge at y = 8: one pixel of slack
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'], atol=1)
