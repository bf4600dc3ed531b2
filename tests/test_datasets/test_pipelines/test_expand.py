import numpy as np
import pytest

from detkit.datasets.pipelines.expand import Expand


def _feed(monkeypatch, values):
    it = iter(values)
    monkeypatch.setattr(np.random, 'uniform', lambda *a, **k: next(it))


def _results():
    img = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[1, 1, 3, 2]], np.float32), gt_labels=np.array([2]))


def test_known_offsets(monkeypatch):
    # prob draw, ratio, left (3.7 -> 3), top (1.2 -> 1)
    _feed(monkeypatch, [0.0, 2.0, 3.7, 1.2])
    res = _results()
    img = res['img'].copy()
    out = Expand(mean=(1, 2, 3), to_rgb=True, ratio_range=(1, 4))(res)
    canvas = out['img']
    assert canvas.shape == (8, 10, 3) and canvas.dtype == np.uint8
    np.testing.assert_array_equal(canvas[1:5, 3:8], img)
    np.testing.assert_array_equal(canvas[0, 0], [3, 2, 1])  # RGB mean reversed to BGR
    np.testing.assert_array_equal(canvas[7, 9], [3, 2, 1])
    np.testing.assert_allclose(out['gt_bboxes'], [[4, 2, 6, 3]])
    assert out['gt_bboxes'].dtype == np.float32


def test_seg_map_filled_with_ignore_label(monkeypatch):
    _feed(monkeypatch, [0.0, 1.5, 0.0, 2.0])
    res = _results()
    res['gt_semantic_seg'] = np.ones((4, 5), np.uint8)
    res['seg_fields'] = ['gt_semantic_seg']
    out = Expand(mean=(0, 0, 0), to_rgb=False, seg_ignore_label=255)(res)
    seg = out['gt_semantic_seg']
    assert seg.shape == (6, 7)
    assert (seg[2:6, 0:5] == 1).all() and seg.sum() == 20 + 255 * (42 - 20)


def test_prob_skip_and_seeded_geometry():
    res = _results()
    np.random.seed(0)
    assert Expand(prob=0.0)(res) is res and res['img'].shape == (4, 5, 3)
    np.random.seed(1)
    out = Expand(prob=1.0, ratio_range=(2, 3))(_results())
    h, w = out['img'].shape[:2]
    assert 8 <= h <= 12 and 10 <= w <= 15
    # the box moved by the same (left, top) as the image content
    x1, y1 = out['gt_bboxes'][0, :2] - [1, 1]
    np.testing.assert_array_equal(out['img'][int(y1):int(y1) + 4, int(x1):int(x1) + 5],
                                  _results()['img'])


def test_errors():
    with pytest.raises(ValueError, match='Expand: ratio_range'):
        Expand(ratio_range=(0.5, 2))
    with pytest.raises(KeyError, match="Expand needs the key 'img'"):
        Expand(prob=1.0)(dict(gt_bboxes=np.zeros((0, 4))))


def test_masks_expand_with_boxes(monkeypatch):
    from detkit.structures import BitmapMasks, PolygonMasks
    _feed(monkeypatch, [0.0, 2.0, 3.7, 1.2])
    res = _results()
    bit = np.zeros((1, 4, 5), np.uint8)
    bit[0, 1:2, 1:3] = 1
    res['gt_masks'] = BitmapMasks(bit, 4, 5)
    res['mask_fields'] = ['gt_masks']
    out = Expand(ratio_range=(1, 4))(res)
    assert (out['gt_masks'].height, out['gt_masks'].width) == (8, 10)
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'])
    assert out['img_shape'] == (8, 10, 3)
    _feed(monkeypatch, [0.0, 2.0, 3.7, 1.2])
    res = _results()
    res['gt_masks'] = PolygonMasks([[np.array([1, 1, 3, 1, 3, 2, 1, 2], np.float32)]], 4, 5)
    res['mask_fields'] = ['gt_masks']
    out = Expand(ratio_range=(1, 4))(res)
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), [[4, 2, 6, 3]])
