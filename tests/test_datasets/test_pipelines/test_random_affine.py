import numpy as np
import pytest

from detkit.datasets.pipelines.random_affine import RandomAffine
from detkit.structures import BitmapMasks, PolygonMasks


def _feed(monkeypatch, values):
    """uniform draws: rotation, scale, shear x, shear y, translate x, translate y."""
    it = iter(values)
    monkeypatch.setattr(np.random, 'uniform', lambda *a, **k: next(it))


def _results():
    img = np.zeros((20, 30, 3), np.uint8)
    img[3, 2] = 255
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[2, 3, 10, 8], [20, 15, 28, 19]], np.float32),
                gt_labels=np.array([1, 2]))


def test_pure_translation(monkeypatch):
    _feed(monkeypatch, [0.0, 1.0, 0.0, 0.0, 0.1, 0.05])  # +0.1 * 30, +0.05 * 20
    out = RandomAffine()(_results())
    np.testing.assert_allclose(out['gt_bboxes'], [[5, 4, 13, 9], [23, 16, 30, 20]])
    assert out['img'][4, 5, 0] == 255 and out['img'][10, 10, 0] == 0
    assert (out['img'][:, :3] == 114).all()  # uncovered strip gets border_val
    assert out['img'].shape == (20, 30, 3) and out['img_shape'] == (20, 30, 3)
    assert out['gt_bboxes'].dtype == np.float32


def test_pure_scaling_removes_outside_box(monkeypatch):
    _feed(monkeypatch, [0.0, 2.0, 0.0, 0.0, 0.0, 0.0])
    out = RandomAffine(scaling_ratio_range=(0.5, 2.0))(_results())
    # about the origin: [2, 3, 10, 8] * 2; the second box starts at x = 40 > 30
    np.testing.assert_allclose(out['gt_bboxes'], [[4, 6, 20, 16]])
    np.testing.assert_array_equal(out['gt_labels'], [1])
    assert out['img'][6, 4, 0] == 255


def test_quarter_rotation_then_translation(monkeypatch):
    _feed(monkeypatch, [90.0, 1.0, 0.0, 0.0, 0.5, 0.0])
    out = RandomAffine(max_rotate_degree=90, max_translate_ratio=0.5)(_results())
    # (x, y) -> (-y + 15, x): box 1 -> x in [7, 12], y in [2, 10]; box 2 -> x in [-4, 0]
    np.testing.assert_allclose(out['gt_bboxes'], [[7, 2, 12, 10]], atol=1e-4)


def test_border_shrinks_output(monkeypatch):
    _feed(monkeypatch, [0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    out = RandomAffine(border=(-5, -10))(_results())
    assert out['img'].shape == (10, 10, 3) and out['img_shape'] == (10, 10, 3)
    np.testing.assert_allclose(out['gt_bboxes'], [[2, 3, 10, 8]])


def _filtered_labels(monkeypatch, box, **kwargs):
    res = _results()
    res['gt_bboxes'] = np.array([[2, 3, 10, 8], box], np.float32)
    _feed(monkeypatch, [0.0, 1.0, 0.0, 0.0, 0.1, 0.0])  # shift right by 3
    return RandomAffine(skip_filter=False, **kwargs)(res)['gt_labels'].tolist()


def test_filters(monkeypatch):
    # [26, 2, 30, 12] -> [29, 2, 30, 12]: width 1, area 10 of 40
    assert _filtered_labels(monkeypatch, [26, 2, 30, 12]) == [1]  # min_bbox_size 2
    assert _filtered_labels(monkeypatch, [26, 2, 30, 12], min_bbox_size=0.5,
                            min_area_ratio=0.3) == [1]
    assert _filtered_labels(monkeypatch, [26, 2, 30, 12], min_bbox_size=0.5,
                            min_area_ratio=0.2, max_aspect_ratio=20) == [1, 2]
    # [24, 2, 28, 12] -> [27, 2, 30, 12]: 3 x 10, aspect 3.33
    assert _filtered_labels(monkeypatch, [24, 2, 28, 12], max_aspect_ratio=3) == [1]
    assert _filtered_labels(monkeypatch, [24, 2, 28, 12], max_aspect_ratio=4) == [1, 2]
    res = _results()
    res['gt_bboxes'] = np.array([[2, 3, 10, 8], [24, 2, 28, 12]], np.float32)
    _feed(monkeypatch, [0.0, 1.0, 0.0, 0.0, 0.1, 0.0])
    assert RandomAffine(max_aspect_ratio=3)(res)['gt_labels'].tolist() == [1, 2]  # skipped


def test_masks_follow_boxes(monkeypatch):
    res = _results()
    bit = np.zeros((2, 20, 30), np.uint8)
    bit[0, 3:8, 2:10] = 1
    bit[1, 15:19, 20:28] = 1
    res['gt_masks'] = BitmapMasks(bit, 20, 30)
    _feed(monkeypatch, [0.0, 1.0, 0.0, 0.0, 0.1, 0.05])
    out = RandomAffine()(res)
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'])
    res = _results()
    res['gt_masks'] = PolygonMasks(
        [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float32)]
         for x1, y1, x2, y2 in res['gt_bboxes']], 20, 30)
    _feed(monkeypatch, [0.0, 2.0, 0.0, 0.0, 0.0, 0.0])
    out = RandomAffine(scaling_ratio_range=(0.5, 2.0))(res)
    assert len(out['gt_masks']) == 1
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), [[4, 6, 20, 16]])


def test_seeded_is_reproducible_and_errors():
    np.random.seed(5)
    a = RandomAffine()(_results())
    np.random.seed(5)
    b = RandomAffine()(_results())
    np.testing.assert_array_equal(a['img'], b['img'])
    np.testing.assert_array_equal(a['gt_bboxes'], b['gt_bboxes'])
    with pytest.raises(ValueError, match='scaling_ratio_range'):
        RandomAffine(scaling_ratio_range=(0, 1))
    with pytest.raises(KeyError, match="RandomAffine needs the key 'img'"):
        RandomAffine()(dict(gt_bboxes=np.zeros((0, 4))))
