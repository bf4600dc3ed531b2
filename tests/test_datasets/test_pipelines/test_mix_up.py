import numpy as np
import pytest

from detkit.datasets.pipelines.mix_up import MixUp


def _feed(monkeypatch, name, values):
    it = iter(values)
    monkeypatch.setattr(np.random, name, lambda *a, **k: next(it))


def _results(ori_hw=(6, 8), retrieve_boxes=((0, 0, 2, 2),)):
    retrieve = dict(img=np.full((4, 4, 3), 100, np.uint8),
                    gt_bboxes=np.array(retrieve_boxes, np.float32).reshape(-1, 4),
                    gt_labels=np.full(len(retrieve_boxes), 5))
    h, w = ori_hw
    return dict(img=np.full((h, w, 3), 20, np.uint8), img_shape=(h, w, 3),
                gt_bboxes=np.array([[1, 1, 2, 2]], np.float32), gt_labels=np.array([0]),
                mix_results=[retrieve])


def test_fixed_ratio_with_flip(monkeypatch):
    _feed(monkeypatch, 'uniform', [1.5, 0.9])  # jitter 1.5; 0.9 > 0.5 -> flip
    out = MixUp(img_scale=(4, 4))(_results())
    img = out['img']
    assert img.shape == (6, 8, 3) and img.dtype == np.uint8 and out['img_shape'] == (6, 8, 3)
    # the 4x4 image becomes 6x6 at the left; the rest of the crop is zero padding
    assert (img[:, :6] == 60).all() and (img[:, 6:] == 10).all()
    # [0, 0, 2, 2] * 1.5 = [0, 0, 3, 3], flipped in a 6-wide canvas -> [3, 0, 6, 3]
    np.testing.assert_allclose(out['gt_bboxes'], [[1, 1, 2, 2], [3, 0, 6, 3]])
    np.testing.assert_array_equal(out['gt_labels'], [0, 5])


def test_random_crop_offset(monkeypatch):
    _feed(monkeypatch, 'uniform', [1.0, 0.2])  # no jitter, no flip
    _feed(monkeypatch, 'randint', [1])         # y offset 1 (x has no room)
    res = _results(ori_hw=(2, 4), retrieve_boxes=((0, 0, 2, 2), (3, 3, 4, 4)))
    res['mix_results'][0]['img'] = np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 4
    expect = (0.5 * 20 + 0.5 * res['mix_results'][0]['img'][1:3].astype(np.float32))
    out = MixUp(img_scale=(4, 4))(res)
    np.testing.assert_array_equal(out['img'], expect.astype(np.uint8))
    # boxes shift up by 1; the second becomes [3, 2, 4, 2] -> outside, removed
    np.testing.assert_allclose(out['gt_bboxes'], [[1, 1, 2, 2], [0, 0, 2, 1]])


def test_filters_and_empty_retrieve(monkeypatch):
    _feed(monkeypatch, 'uniform', [1.0, 0.2])
    _feed(monkeypatch, 'randint', [1])
    res = _results(ori_hw=(2, 4), retrieve_boxes=((0, 0, 2, 2),))
    out = MixUp(img_scale=(4, 4), skip_filter=False, min_bbox_size=1.5)(res)
    np.testing.assert_array_equal(out['gt_labels'], [0])  # [0, 0, 2, 1] is 1 px high
    res = _results(retrieve_boxes=())
    img = res['img'].copy()
    out = MixUp()(res)
    np.testing.assert_array_equal(out['img'], img)
    assert len(out['gt_bboxes']) == 1


class _Dataset:
    def __init__(self, counts):
        self.counts = counts

    def __len__(self):
        return len(self.counts)

    def get_ann_info(self, i):
        return dict(bboxes=np.zeros((self.counts[i], 4)))


def test_get_indexes_prefers_images_with_boxes(monkeypatch):
    _feed(monkeypatch, 'randint', [0, 1, 2])
    assert MixUp().get_indexes(_Dataset([0, 0, 3])) == 2
    _feed(monkeypatch, 'randint', [0, 1])
    assert MixUp(max_iters=2).get_indexes(_Dataset([0, 0, 3])) == 1


def test_errors():
    res = _results()
    res['mix_results'].append(res['mix_results'][0])
    with pytest.raises(ValueError, match='MixUp mixes 2 images'):
        MixUp()(res)
    res = _results()
    del res['gt_labels']
    with pytest.raises(KeyError, match="MixUp needs the key 'gt_labels'"):
        MixUp()(res)


def _add_box_masks(res):
    from detkit.structures import BitmapMasks
    for r in [res] + res['mix_results']:
        h, w = r['img'].shape[:2]
        bit = np.zeros((len(r['gt_bboxes']), h, w), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(r['gt_bboxes'].astype(int)):
            bit[i, y1:y2, x1:x2] = 1
        r['gt_masks'] = BitmapMasks(bit, h, w)
    return res


def test_masks_follow_jitter_and_flip(monkeypatch):
    _feed(monkeypatch, 'uniform', [1.5, 0.9])
    out = MixUp(img_scale=(4, 4))(_add_box_masks(_results()))
    masks = out['gt_masks']
    assert (masks.height, masks.width) == (6, 8) and len(masks) == 2
    np.testing.assert_allclose(masks.get_bboxes(), out['gt_bboxes'])


def test_masks_follow_crop_and_filters(monkeypatch):
    _feed(monkeypatch, 'uniform', [1.0, 0.2])
    _feed(monkeypatch, 'randint', [1])
    res = _add_box_masks(_results(ori_hw=(2, 4), retrieve_boxes=((0, 0, 2, 2), (3, 3, 4, 4))))
    out = MixUp(img_scale=(4, 4))(res)
    assert len(out['gt_masks']) == 2
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'])
    _feed(monkeypatch, 'uniform', [1.0, 0.2])
    _feed(monkeypatch, 'randint', [1])
    res = _add_box_masks(_results(ori_hw=(2, 4), retrieve_boxes=((0, 0, 2, 2), (3, 3, 4, 4))))
    out = MixUp(img_scale=(4, 4), skip_filter=False, min_bbox_size=1.5)(res)
    assert len(out['gt_masks']) == len(out['gt_labels']) == 1


def test_masks_on_one_side_only():
    res = _add_box_masks(_results())
    del res['mix_results'][0]['gt_masks']
    with pytest.raises(KeyError, match='MixUp: gt_masks must be in both'):
        MixUp()(res)
