import numpy as np
import pytest

from detkit.datasets.pipelines.copy_paste import CopyPaste
from detkit.structures import BitmapMasks, PolygonMasks


def _masks(boxes, h=10, w=10):
    masks = np.zeros((len(boxes), h, w), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        masks[i, y1:y2, x1:x2] = 1
    return BitmapMasks(masks, h, w)


def _results():
    dst_boxes = [[0, 0, 4, 4], [6, 6, 10, 10]]
    src_boxes = [[0, 2, 10, 4], [8, 0, 10, 1]]
    src = dict(img=np.full((10, 10, 3), 255, np.uint8),
               gt_bboxes=np.array(src_boxes, np.float32), gt_labels=np.array([7, 8]),
               gt_masks=_masks(src_boxes))
    return dict(img=np.zeros((10, 10, 3), np.uint8),
                gt_bboxes=np.array(dst_boxes, np.float32), gt_labels=np.array([1, 2]),
                gt_masks=_masks(dst_boxes), mix_results=[src])


def test_paste_all_keeps_partly_occluded():
    out = CopyPaste(selected=False)(_results())
    # the band y in [2, 4) covers the lower half of object 1: its box shrinks to y2 = 2,
    # all sides within 10 px of the original -> kept
    np.testing.assert_allclose(out['gt_bboxes'],
                               [[0, 0, 4, 2], [6, 6, 10, 10], [0, 2, 10, 4], [8, 0, 10, 1]])
    np.testing.assert_array_equal(out['gt_labels'], [1, 2, 7, 8])
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'])
    img = out['img']
    assert img.dtype == np.uint8 and img.shape == (10, 10, 3)
    assert (img[2:4] == 255).all() and (img[0, 8:10] == 255).all()
    assert img.sum() == 255 * 3 * (20 + 2)


def test_occluded_object_dropped_by_thresholds():
    out = CopyPaste(selected=False, bbox_occluded_thr=1, mask_occluded_thr=8)(_results())
    # object 1: box side moved by 2 > 1 and 8 visible pixels (not > 8) -> dropped
    np.testing.assert_array_equal(out['gt_labels'], [2, 7, 8])
    out = CopyPaste(selected=False, bbox_occluded_thr=1, mask_occluded_thr=7)(_results())
    np.testing.assert_array_equal(out['gt_labels'], [1, 2, 7, 8])


def test_selected_subset(monkeypatch):
    monkeypatch.setattr(np.random, 'randint', lambda *a, **k: 1)
    monkeypatch.setattr(np.random, 'choice', lambda *a, **k: np.array([1]))
    res = _results()
    out = CopyPaste()(res)
    # only the small source object at [8, 0, 10, 1] is pasted; nothing is occluded
    np.testing.assert_array_equal(out['gt_labels'], [1, 2, 8])
    np.testing.assert_allclose(out['gt_bboxes'][-1], [8, 0, 10, 1])
    assert out['img'].sum() == 255 * 3 * 2


def test_seeded_selection_and_polygons():
    res = _results()
    res['gt_masks'] = PolygonMasks([[np.array([0, 0, 4, 0, 4, 4, 0, 4], np.float32)],
                                    [np.array([6, 6, 10, 6, 10, 10, 6, 10], np.float32)]], 10, 10)
    np.random.seed(1)
    out = CopyPaste()(res)
    assert isinstance(out['gt_masks'], BitmapMasks)
    assert len(out['gt_masks']) == len(out['gt_bboxes']) == len(out['gt_labels'])
    assert 2 <= len(out['gt_labels']) <= 4


def test_empty_source_and_errors():
    res = _results()
    src = res['mix_results'][0]
    src['gt_bboxes'] = np.zeros((0, 4), np.float32)
    src['gt_labels'] = np.zeros((0,), np.int64)
    src['gt_masks'] = BitmapMasks(np.zeros((0, 10, 10), np.uint8), 10, 10)
    out = CopyPaste(selected=False)(res)
    np.testing.assert_array_equal(out['gt_labels'], [1, 2])
    res = _results()
    del res['mix_results'][0]['gt_masks']
    with pytest.raises(KeyError, match=r"CopyPaste \(mix_results\[0\]\) needs the key 'gt_masks'"):
        CopyPaste()(res)
    res = _results()
    res['mix_results'][0]['img'] = np.zeros((12, 10, 3), np.uint8)
    with pytest.raises(ValueError, match='same shape'):
        CopyPaste(selected=False)(res)
    np.random.seed(0)
    assert 0 <= CopyPaste().get_indexes(list(range(4))) < 4
