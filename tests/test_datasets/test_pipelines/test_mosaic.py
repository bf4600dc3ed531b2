import numpy as np
import pytest

from detkit.datasets.pipelines.mosaic import Mosaic
from detkit.structures import BitmapMasks, PolygonMasks


def _feed(monkeypatch, values):
    it = iter(values)
    monkeypatch.setattr(np.random, 'uniform', lambda *a, **k: next(it))


def _box_masks(boxes, h, w):
    masks = np.zeros((len(boxes), h, w), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, int)):
        masks[i, y1:y2, x1:x2] = 1
    return BitmapMasks(masks, h, w)


def _patch(h, w, value, boxes, labels, masks=False):
    res = dict(img=np.full((h, w, 3), value, np.uint8),
               gt_bboxes=np.array(boxes, np.float32).reshape(-1, 4), gt_labels=np.array(labels))
    if masks:
        res['gt_masks'] = _box_masks(boxes, h, w)
    return res


def _results(masks=False):
    res = _patch(8, 12, 10, [[4, 2, 12, 6]], [0], masks)           # scaled by 0.5
    res['mix_results'] = [
        _patch(4, 6, 20, [[0, 0, 2, 2]], [1], masks),                # scale 1
        _patch(2, 3, 30, [[0, 0, 1, 1], [2, 0, 3, 1]], [2, 3], masks),  # scaled by 2
        _patch(4, 6, 40, [[1, 2, 5, 4]], [4], masks),
    ]
    res['img_shape'] = res['pad_shape'] = (8, 12, 3)
    return res


def test_placement_at_fixed_center(monkeypatch):
    # prob draw, then centre x = int(0.75 * 6) = 4, centre y = int(1.25 * 4) = 5
    _feed(monkeypatch, [0.0, 0.75, 1.25])
    out = Mosaic(img_scale=(4, 6))(_results())
    img = out['img']
    assert img.shape == (8, 12, 3) and img.dtype == np.uint8
    assert out['img_shape'] == out['pad_shape'] == (8, 12, 3)
    assert (img[1:5, 0:4] == 10).all() and (img[1:5, 4:10] == 20).all()
    assert (img[5:8, 0:4] == 30).all() and (img[5:8, 4:10] == 40).all()
    assert (img[0] == 114).all() and (img[:, 10:] == 114).all()
    # top-left: 0.5 * [4, 2, 12, 6] + (0 - 2, 1 - 0); top-right: + (4, 1);
    # bottom-left: 2 * box + (0 - 2, 5): the first lands at x2 = 0 and is removed;
    # bottom-right: + (4, 5), clipped at y = 8
    np.testing.assert_allclose(out['gt_bboxes'],
                               [[0, 2, 4, 4], [4, 1, 6, 3], [2, 5, 4, 7], [5, 7, 9, 8]])
    np.testing.assert_array_equal(out['gt_labels'], [0, 1, 3, 4])


def test_masks_stay_aligned_with_boxes(monkeypatch):
    _feed(monkeypatch, [0.0, 0.75, 1.25])
    out = Mosaic(img_scale=(4, 6))(_results(masks=True))
    masks = out['gt_masks']
    assert isinstance(masks, BitmapMasks) and (masks.height, masks.width) == (8, 12)
    np.testing.assert_allclose(masks.get_bboxes(), out['gt_bboxes'])


def test_polygon_masks_follow(monkeypatch):
    _feed(monkeypatch, [0.0, 1.0, 1.0])
    res = _results()
    for r in [res] + res['mix_results']:
        h, w = r['img'].shape[:2]
        r['gt_masks'] = PolygonMasks(
            [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float32)]
             for x1, y1, x2, y2 in r['gt_bboxes']], h, w)
    out = Mosaic(img_scale=(4, 6))(res)
    assert len(out['gt_masks']) == len(out['gt_bboxes'])
    # centre (6, 4): every slot is fully inside, polygons map exactly like the boxes
    np.testing.assert_allclose(out['gt_masks'].get_bboxes(), out['gt_bboxes'])


def test_ignore_boxes_move_too(monkeypatch):
    _feed(monkeypatch, [0.0, 0.75, 1.25])
    res = _results()
    res['bbox_fields'] = ['gt_bboxes', 'gt_bboxes_ignore']
    res['gt_bboxes_ignore'] = np.array([[8, 0, 12, 4]], np.float32)     # top-left slot
    res['mix_results'][2]['gt_bboxes_ignore'] = np.array([[0, 0, 6, 2]], np.float32)
    out = Mosaic(img_scale=(4, 6))(res)
    # 0.5 * [8, 0, 12, 4] + (-2, 1) = [2, 1, 4, 3]; [0, 0, 6, 2] + (4, 5) = [4, 5, 10, 7]
    np.testing.assert_allclose(out['gt_bboxes_ignore'], [[2, 1, 4, 3], [4, 5, 10, 7]])
    assert len(out['gt_bboxes']) == 4


def test_masks_on_some_images_only(monkeypatch):
    _feed(monkeypatch, [0.0, 0.75, 1.25])
    res = _results(masks=True)
    del res['mix_results'][1]['gt_masks']
    with pytest.raises(KeyError, match="Mosaic: 'gt_masks' must be in all 4 results"):
        Mosaic(img_scale=(4, 6))(res)


def test_size_filter_and_prob(monkeypatch):
    _feed(monkeypatch, [0.0, 0.75, 1.25])
    out = Mosaic(img_scale=(4, 6), skip_filter=False, min_bbox_size=1.5)(_results())
    np.testing.assert_array_equal(out['gt_labels'], [0, 1, 3])  # the 1-px-high box goes
    _feed(monkeypatch, [0.9])
    res = _results()
    assert Mosaic(img_scale=(4, 6), prob=0.5)(res)['img'].shape == (8, 12, 3)
    assert 'gt_masks' not in res and res['gt_bboxes'].tolist() == [[4, 2, 12, 6]]


def test_get_indexes_and_errors():
    np.random.seed(0)
    idx = Mosaic().get_indexes(list(range(5)))
    assert len(idx) == 3 and all(0 <= i < 5 for i in idx)
    res = _results()
    del res['mix_results']
    with pytest.raises(KeyError, match="Mosaic needs the key 'mix_results'"):
        Mosaic()(res)
    res = _results()
    del res['mix_results'][1]['gt_labels']
    with pytest.raises(KeyError, match=r"Mosaic \(mix_results\[1\]\) needs the key 'gt_labels'"):
        Mosaic()(res)
    with pytest.raises(TypeError, match='img_scale'):
        Mosaic(img_scale=[640, 640])


def _scene(seed, size=(48, 40)):
    """A synthetic shapes scene as a pipeline results dict with bitmap masks."""
    import cv2

    from detkit.datasets.synthetic import SyntheticShapes
    img, anns = SyntheticShapes(img_size=size, crowd_prob=0.0, empty_prob=0.0).generate(
        np.random.default_rng(seed))
    h, w = img.shape[:2]
    masks = np.zeros((len(anns), h, w), np.uint8)
    for i, ann in enumerate(anns):
        for poly in ann['segmentation']:
            cv2.fillPoly(masks[i], [np.round(np.array(poly).reshape(-1, 2)).astype(np.int32)], 1)
    bit = BitmapMasks(masks, h, w)
    return dict(img=img, img_shape=img.shape, gt_bboxes=bit.get_bboxes(),
                gt_labels=np.array([a['label'] for a in anns], np.int64), gt_masks=bit,
                bbox_fields=['gt_bboxes'], mask_fields=['gt_masks'])


def test_yolox_chain_keeps_boxes_masks_and_shapes_consistent():
    from detkit.datasets.pipelines import MixUp, RandomAffine, YOLOXHSVRandomAug
    scale = (32, 40)
    mosaic = Mosaic(img_scale=scale)
    affine = RandomAffine(scaling_ratio_range=(0.5, 1.5), border=(-16, -20))
    mixup = MixUp(img_scale=scale, ratio_range=(0.8, 1.6))
    hsv = YOLOXHSVRandomAug()
    np.random.seed(0)
    total = 0
    for seed in range(4):
        res = _scene(seed)
        res['mix_results'] = [_scene(10 * seed + k) for k in range(1, 4)]
        res = affine(mosaic(res))
        res['mix_results'] = [affine(mosaic(dict(_scene(seed + 50),
                                                 mix_results=[_scene(seed + 60 + k)
                                                              for k in range(3)])))]
        out = hsv(mixup(res))
        img, boxes, masks = out['img'], out['gt_bboxes'], out['gt_masks']
        assert img.shape == (32, 40, 3) and img.dtype == np.uint8
        assert out['img_shape'] == img.shape
        assert len(boxes) == len(out['gt_labels']) == len(masks)
        assert (masks.height, masks.width) == (32, 40)
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 40).all() and (boxes[:, 3] <= 32).all()
        # each mask lies inside its box (a pixel of slack for the rasterised warps)
        mb = masks.get_bboxes()
        nonempty = masks.areas > 0
        assert (mb[nonempty, :2] >= boxes[nonempty, :2] - 1).all()
        assert (mb[nonempty, 2:] <= boxes[nonempty, 2:] + 1).all()
        total += int(nonempty.sum())
    assert total >= 8  # the invariants were checked on real objects
