import numpy as np
import pytest

from detkit.datasets.pipelines.translate import Translate


def _feed_rand(monkeypatch, values):
    it = iter(values)
    monkeypatch.setattr(np.random, 'rand', lambda *a: next(it))


def _results():
    img = np.zeros((10, 12, 3), np.uint8)
    img[3, 2] = 200
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[2, 3, 6, 7], [8, 0, 10, 2]], np.float32),
                gt_labels=np.array([4, 5]))


def test_shift_right_by_level_offset(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.9])
    out = Translate(level=10, prob=1.0, max_translate_offset=5)(_results())
    # offset int(10 / 10 * 5) = 5; box 1 goes to x in [13, 12] -> empty, dropped
    np.testing.assert_allclose(out['gt_bboxes'], [[7, 3, 11, 7]])
    np.testing.assert_array_equal(out['gt_labels'], [4])
    assert out['img'][3, 7, 0] == 200 and (out['img'][:, :5] == 128).all()


def test_shift_up_negative_and_min_size(monkeypatch):
    _feed_rand(monkeypatch, [0.0, 0.1])
    out = Translate(level=10, prob=1.0, direction='vertical', max_translate_offset=4,
                    min_size=1.5, img_fill_val=(1, 2, 3))(_results())
    # y - 4: box 0 -> [2, 0, 6, 3]; box 1 -> [8, 0, 10, 0] (height 0 <= 1.5) dropped
    np.testing.assert_allclose(out['gt_bboxes'], [[2, 0, 6, 3]])
    np.testing.assert_array_equal(out['img'][-1, 0], [1, 2, 3])


def test_errors():
    with pytest.raises(ValueError, match='Translate: direction'):
        Translate(1, direction='up')
    with pytest.raises(KeyError, match="Translate needs the key 'img_shape'"):
        Translate(1, prob=1.0)(dict(img=np.zeros((2, 2, 3), np.uint8)))


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
    out = Translate(level=10, prob=1.0, max_translate_offset=5)(res)
    assert len(out['gt_masks']) == len(out['gt_bboxes']) == 1
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'], atol=0)
