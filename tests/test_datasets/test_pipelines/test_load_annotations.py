import cv2
import numpy as np
import pycocotools.mask as mask_util
import pytest

from detkit.datasets.pipelines import LoadAnnotations
from detkit.structures import BitmapMasks, PolygonMasks


def _record(**ann):
    base = dict(bboxes=np.array([[1, 2, 5, 6], [0, 0, 3, 3]], np.float32),
                labels=np.array([4, 1]))
    base.update(ann)
    return dict(img_info=dict(filename='a.png', height=8, width=10), ann_info=base,
                bbox_fields=[], mask_fields=[], seg_fields=[], img_shape=(8, 10, 3))


def test_boxes_labels_ignore():
    out = LoadAnnotations()(_record(bboxes_ignore=np.array([[2, 2, 4, 4]], np.float32)))
    assert out['gt_bboxes'].dtype == np.float32 and out['gt_bboxes'].shape == (2, 4)
    assert out['gt_labels'].dtype == np.int64 and out['gt_labels'].tolist() == [4, 1]
    assert out['gt_bboxes_ignore'].tolist() == [[2, 2, 4, 4]]
    assert out['bbox_fields'] == ['gt_bboxes_ignore', 'gt_bboxes']
    assert 'gt_masks' not in out
    # the record's arrays are copied, not shared
    rec = _record()
    out = LoadAnnotations()(rec)
    out['gt_bboxes'][0, 0] = 99
    assert rec['ann_info']['bboxes'][0, 0] == 1
    empty = LoadAnnotations()(_record(bboxes=np.zeros((0, 4)), labels=np.zeros((0,))))
    assert empty['gt_bboxes'].shape == (0, 4) and empty['gt_labels'].shape == (0,)


def test_denorm_bbox():
    rec = _record(bboxes=np.array([[0.1, 0.25, 0.5, 1.0]], np.float32), labels=np.array([0]))
    out = LoadAnnotations(denorm_bbox=True)(rec)
    np.testing.assert_allclose(out['gt_bboxes'], [[1, 2, 5, 8]])


def test_masks_polygons_and_rle():
    poly = [[1, 2, 5, 2, 5, 6, 1, 6]]
    tri_and_bad = [[0, 0, 3, 0, 0, 3], [1, 1, 2]]  # the second polygon is invalid
    out = LoadAnnotations(with_mask=True)(_record(masks=[poly, tri_and_bad]))
    m = out['gt_masks']
    assert isinstance(m, BitmapMasks) and m.masks.shape == (2, 8, 10)
    assert m.masks[0, 2:6, 1:5].all() and m.masks[0].sum() == 16
    assert out['mask_fields'] == ['gt_masks']
    out = LoadAnnotations(with_mask=True, poly2mask=False)(_record(masks=[poly, tri_and_bad]))
    p = out['gt_masks']
    assert isinstance(p, PolygonMasks) and len(p.masks[1]) == 1  # invalid polygon dropped
    np.testing.assert_array_equal(p.to_ndarray()[0], m.masks[0])
    # RLE: compressed and uncompressed
    bitmap = np.zeros((8, 10), np.uint8)
    bitmap[3:5, 4:9] = 1
    rle = mask_util.encode(np.asfortranarray(bitmap))
    # uncompressed RLE: run lengths of the column-major pixels, starting with zeros
    flat = bitmap.flatten(order='F')
    edges = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    uncompressed = dict(size=[8, 10], counts=counts)
    out = LoadAnnotations(with_mask=True)(_record(masks=[rle, uncompressed]))
    np.testing.assert_array_equal(out['gt_masks'].masks[0], bitmap)
    np.testing.assert_array_equal(out['gt_masks'].masks[1], bitmap)
    with pytest.raises(ValueError, match='RLE'):
        LoadAnnotations(with_mask=True, poly2mask=False)(_record(masks=[rle, poly]))


def test_semantic_seg(tmp_path):
    seg = (np.arange(80).reshape(8, 10) % 5).astype(np.uint8)
    cv2.imwrite(str(tmp_path / 's.png'), seg)
    rec = _record(seg_map='s.png')
    rec['seg_prefix'] = str(tmp_path)
    out = LoadAnnotations(with_bbox=False, with_label=False, with_seg=True)(rec)
    np.testing.assert_array_equal(out['gt_semantic_seg'], seg)
    assert out['seg_fields'] == ['gt_semantic_seg'] and 'gt_bboxes' not in out


def test_missing_keys():
    with pytest.raises(KeyError, match="LoadAnnotations needs the key 'ann_info'"):
        LoadAnnotations()({})
    with pytest.raises(KeyError, match=r"ann_info\['masks'\].*'a.png'"):
        LoadAnnotations(with_mask=True)(_record())
    rec = _record(masks=[])
    del rec['img_info']['height']
    with pytest.raises(KeyError, match='height'):
        LoadAnnotations(with_mask=True)(rec)
    # bbox_fields etc. are created when the dataset did not
    out = LoadAnnotations()(dict(ann_info=dict(bboxes=np.zeros((0, 4)), labels=[])))
    assert out['bbox_fields'] == ['gt_bboxes']
