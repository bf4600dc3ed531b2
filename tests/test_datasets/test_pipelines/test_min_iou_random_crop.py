import numpy as np
import pytest

from detkit.datasets.pipelines.min_iou_random_crop import MinIoURandomCrop


def _feed(monkeypatch, name, values):
    it = iter(values)
    monkeypatch.setattr(np.random, name, lambda *a, **k: next(it))


def _results():
    img = np.random.RandomState(0).randint(0, 255, (100, 100, 3)).astype(np.uint8)
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[15, 25, 55, 75], [0, 0, 100, 10], [40, 60, 76, 90]],
                                   np.float32),
                gt_labels=np.array([0, 1, 2]))


def test_crop_keeps_boxes_with_centre_inside(monkeypatch):
    _feed(monkeypatch, 'choice', [0])  # min IoU 0
    # new_w, new_h, left, top -> patch (10, 20, 60, 80)
    _feed(monkeypatch, 'uniform', [50.0, 60.0, 10.5, 20.2])
    res = _results()
    img = res['img'].copy()
    out = MinIoURandomCrop()(res)
    np.testing.assert_array_equal(out['img'], img[20:80, 10:60])
    assert out['img_shape'] == (60, 50, 3)
    # box 1's centre (50, 5) is outside; box 2 is clipped to x2 = 60, y2 = 80
    np.testing.assert_allclose(out['gt_bboxes'], [[5, 5, 45, 55], [30, 40, 50, 60]])
    np.testing.assert_array_equal(out['gt_labels'], [0, 2])


def test_iou_threshold_rejects_then_accepts(monkeypatch):
    _feed(monkeypatch, 'choice', [0.7])
    # try 1: aspect 90/10 > 2 -> skipped; try 2: patch (10, 20, 60, 80), IoU 2000/3000 < 0.7;
    # try 3: patch (14, 24, 56, 76), IoU 2000/2184 >= 0.7
    _feed(monkeypatch, 'uniform', [10.0, 90.0, 50.0, 60.0, 10.5, 20.2, 42.0, 52.0, 14.0, 24.0])
    res = _results()
    res['gt_bboxes'] = res['gt_bboxes'][:1]
    res['gt_labels'] = res['gt_labels'][:1]
    out = MinIoURandomCrop()(res)
    np.testing.assert_allclose(out['gt_bboxes'], [[1, 1, 41, 51]])
    assert out['img'].shape == (52, 42, 3)


def test_mode_one_returns_input(monkeypatch):
    _feed(monkeypatch, 'choice', [1])
    res = _results()
    assert MinIoURandomCrop()(res) is res and res['img'].shape == (100, 100, 3)


def test_image_without_boxes_is_still_cropped(monkeypatch):
    _feed(monkeypatch, 'choice', [0.5])
    _feed(monkeypatch, 'uniform', [50.0, 60.0, 10.5, 20.2])
    res = _results()
    res['gt_bboxes'] = np.zeros((0, 4), np.float32)
    res['gt_labels'] = np.zeros((0,), np.int64)
    out = MinIoURandomCrop()(res)
    assert out['img'].shape == (60, 50, 3) and out['gt_bboxes'].shape == (0, 4)


def test_seeded_crop_satisfies_its_mode():
    t = MinIoURandomCrop()
    for seed in range(5):
        np.random.seed(seed)
        res = _results()
        out = t(res)
        assert len(out['gt_bboxes']) == len(out['gt_labels']) > 0
        h, w = out['img'].shape[:2]
        assert (out['gt_bboxes'][:, 0::2] <= w).all() and (out['gt_bboxes'][:, 1::2] <= h).all()


def test_missing_bbox_fields():
    with pytest.raises(KeyError, match="MinIoURandomCrop needs the key 'bbox_fields'"):
        MinIoURandomCrop()(dict(img=np.zeros((4, 4, 3), np.uint8)))


def test_masks_cropped_with_boxes(monkeypatch):
    from detkit.structures import BitmapMasks
    _feed(monkeypatch, 'choice', [0])
    _feed(monkeypatch, 'uniform', [50.0, 60.0, 10.5, 20.2])
    res = _results()
    bit = np.zeros((3, 100, 100), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(res['gt_bboxes'].astype(int)):
        bit[i, y1:y2, x1:x2] = 1
    res['gt_masks'] = BitmapMasks(bit, 100, 100)
    out = MinIoURandomCrop()(res)
    masks = out['gt_masks']
    assert len(masks) == 2 and (masks.height, masks.width) == (60, 50)
    np.testing.assert_allclose(masks.get_bboxes(), out['gt_bboxes'])
