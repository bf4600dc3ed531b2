import numpy as np
import pytest

from detkit.datasets.pipelines.rotate import Rotate


def _feed_rand(monkeypatch, values):
    it = iter(values)
    monkeypatch.setattr(np.random, 'rand', lambda *a: next(it))


def _results():
    img = np.zeros((11, 11, 3), np.uint8)
    img[2, 6] = 255  # top-left corner of the box
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[6, 2, 9, 4]], np.float32), gt_labels=np.array([1]))


def test_quarter_turn_clockwise(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.9])
    out = Rotate(level=10, max_rotate_angle=90, prob=1.0)(_results())
    # about (5, 5), clockwise in image coordinates: (dx, dy) -> (-dy, dx)
    # corners (1,-3) (4,-3) (1,-1) (4,-1) -> (3,1) (3,4) (1,1) (1,4)
    np.testing.assert_allclose(out['gt_bboxes'], [[6, 6, 8, 9]], atol=1e-4)
    assert out['img'][6, 8, 0] == 255 and out['img'][2, 6, 0] == 0
    assert out['img'].shape == (11, 11, 3) and out['img'].dtype == np.uint8


def test_negative_angle_and_clip(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.1])  # anticlockwise: (dx, dy) -> (dy, -dx)
    out = Rotate(level=10, max_rotate_angle=90, prob=1.0)(_results())
    # (1,-3) (4,-3) (1,-1) (4,-1) -> (-3,-1) (-3,-4) (-1,-1) (-1,-4)
    np.testing.assert_allclose(out['gt_bboxes'], [[2, 1, 4, 4]], atol=1e-4)


def test_box_rotated_out_is_dropped(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.9])
    res = _results()
    res['gt_bboxes'] = np.array([[6, 2, 9, 4], [0, 0, 2, 2]], np.float32)
    res['gt_labels'] = np.array([1, 2])
    # 180 degrees about (0, 0) with scale 1: everything goes to negative coordinates
    out = Rotate(10, max_rotate_angle=180, center=0, prob=1.0)(res)
    assert out['gt_bboxes'].shape == (0, 4) and out['gt_labels'].shape == (0,)


def test_arguments():
    with pytest.raises(ValueError, match='center'):
        Rotate(1, center=(1, 2, 3))
    with pytest.raises(TypeError, match='scale'):
        Rotate(1, scale='2')
    with pytest.raises(KeyError, match="Rotate needs the key 'img'"):
        Rotate(1, prob=1.0)(dict(img_shape=(2, 2, 3)))


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
    out = Rotate(level=10, max_rotate_angle=90, prob=1.0)(res)
    assert len(out['gt_masks']) == len(out['gt_bboxes']) == 1
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'], atol=1)
