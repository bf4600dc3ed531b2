"""CocoDataset: loading, bad input, and evaluate() against pycocotools directly."""
import contextlib
import copy
import io
import json
import os.path as osp

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from detkit.datasets import SHAPE_CLASSES, CocoDataset, make_synthetic_dataset

ALL_ITEMS = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100', 'AR@300',
             'AR@1000', 'AR_s@1000', 'AR_m@1000', 'AR_l@1000']


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes')
    make_synthetic_dataset(str(root), num_train=0, num_val=16, seed=7, img_size=96)
    return str(root)


def _dataset(root, **kw):
    kw.setdefault('classes', SHAPE_CLASSES)
    return CocoDataset(ann_file=osp.join(root, 'annotations', 'instances_val2017.json'),
                       pipeline=[], img_prefix=osp.join(root, 'val2017'), **kw)


def _write(tmp_path, coco, images=('a.jpg', 'b.jpg')):
    for name in images:
        (tmp_path / name).write_bytes(b'x')
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(coco))
    return str(path)


def _coco(anns, cats=((1, 'circle'), (2, 'square')), sizes=((40, 40), (40, 40))):
    return dict(images=[dict(id=i + 1, file_name=n, width=w, height=h)
                        for i, (n, (w, h)) in enumerate(zip(('a.jpg', 'b.jpg'), sizes))],
                annotations=anns, categories=[dict(id=i, name=n) for i, n in cats])


def _ann(id, img, cat, bbox, **kw):
    return dict(id=id, image_id=img, category_id=cat, bbox=bbox, area=kw.pop('area', 10.0),
                iscrowd=kw.pop('iscrowd', 0), **kw)


def test_cat2label_follows_json_order_and_crowd_goes_to_ignore(tmp_path):
    anns = [_ann(1, 1, 7, [1, 2, 10, 20]), _ann(2, 1, 3, [5, 5, 4, 4], iscrowd=1),
            _ann(3, 2, 3, [0, 0, 8, 8], segmentation=[[0, 0, 8, 0, 8, 8]]),
            _ann(4, 2, 5, [0, 0, 8, 8])]  # category 'other' is not among our classes
    path = _write(tmp_path, _coco(anns, cats=((7, 'square'), (3, 'circle'), (5, 'other'))))
    ds = CocoDataset(path, [], classes=('square', 'circle'), img_prefix=str(tmp_path))
    assert ds.cat_ids == [7, 3] and ds.cat2label == {7: 0, 3: 1}
    a = ds.get_ann_info(0)
    np.testing.assert_array_equal(a['bboxes'], [[1, 2, 11, 22]])
    np.testing.assert_array_equal(a['labels'], [0])
    np.testing.assert_array_equal(a['bboxes_ignore'], [[5, 5, 9, 9]])
    assert a['seg_map'] == 'a.png'
    assert ds.get_ann_info(1)['masks'] == [[[0, 0, 8, 0, 8, 8]]]
    assert ds.get_cat_ids(1) == [3, 5]
    assert ds.img_ids == [1, 2] and list(ds.flag) == [0, 0]
    with pytest.raises(ValueError, match="class 'sqare' \\(did you mean 'square'\\?\\)"):
        CocoDataset(path, [], classes=('sqare',), img_prefix=str(tmp_path))


def test_bad_records_are_skipped_and_summarised(tmp_path, caplog):
    anns = [_ann(17, 1, 1, [1, 1, 0, 5]),          # w = 0
            _ann(18, 1, 1, [1, 1, 5, -2]),         # h < 0
            _ann(19, 1, 9, [1, 1, 5, 5]),          # category 9 is not in categories
            _ann(20, 1, 1, [1, 1, 5, 5], segmentation=[[1, 2, 3]]),  # 3 coordinates
            _ann(21, 1, 2, [2, 2, 6, 6]),          # fine
            _ann(22, 2, 1, [2, 2, 6, 6])]          # fine, but image b.jpg is missing
    coco = _coco(anns)
    coco['images'].append(dict(id=3, file_name='c.jpg', width=40, height=40))  # no annotations
    path = _write(tmp_path, coco, images=('a.jpg', 'c.jpg'))
    ds = CocoDataset(path, [], classes=('circle', 'square'), img_prefix=str(tmp_path))
    assert len(ds) == 1 and ds.img_ids == [1]
    line = ds.load_report.summary()
    assert line.startswith('ann.json: 3 images: 1 used, 1 without annotations, 5 skipped: ')
    assert '2 bbox w/h ≤ 0 (e.g. ann id 17 in ann.json)' in line
    assert '1 unknown category id (category_id 9 of ann id 19 in ann.json; categories: [1, 2])' \
        in line
    assert '1 malformed segmentation (e.g. ann id 20 in ann.json: a polygon of 3 coordinates' \
        in line
    assert f"1 missing image file ({osp.join(str(tmp_path), 'b.jpg')})" in line
    np.testing.assert_array_equal(ds.get_ann_info(0)['labels'], [1])
    # test mode keeps the image without annotations
    ds = CocoDataset(path, [], classes=('circle', 'square'), img_prefix=str(tmp_path),
                     test_mode=True)
    assert ds.img_ids == [1, 3]


def test_no_usable_image_and_classes_string(tmp_path):
    path = _write(tmp_path, _coco([_ann(1, 1, 1, [0, 0, 5, 5])]), images=())
    with pytest.raises(ValueError, match=r'CocoDataset has no usable image: ann.json: 2 images: '
                       r'0 used, 2 skipped: 2 missing image file \(.*a.jpg\)'):
        CocoDataset(path, [], classes=('circle',), img_prefix=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="classes='circle' is read as a file of class "
                       r"names .* write classes=\('circle',\)"):
        CocoDataset(path, [], classes='circle', img_prefix=str(tmp_path))
    names = tmp_path / 'classes.txt'
    names.write_text('circle\nsquare\n')
    assert CocoDataset.get_classes(str(names)) == ['circle', 'square']


def test_duplicate_annotation_ids(tmp_path):
    path = _write(tmp_path, _coco([_ann(4, 1, 1, [0, 0, 5, 5]), _ann(4, 2, 1, [0, 0, 5, 5])]))
    with pytest.raises(ValueError, match="Annotation ids in '.*ann.json' are not unique! "
                       r'\(id 4\)'):
        CocoDataset(path, [], classes=('circle',), img_prefix=str(tmp_path))


def _gt_results(ds, coco):
    """Ground truth as detections (score 1), with masks as RLE."""
    results = []
    for i, img_id in enumerate(ds.img_ids):
        info = coco.loadImgs(img_id)[0]
        ann = ds.get_ann_info(i)
        boxes, masks = [], []
        for c in range(len(ds.CLASSES)):
            sel = np.flatnonzero(ann['labels'] == c)
            b = np.hstack([ann['bboxes'][sel], np.ones((len(sel), 1), np.float32)])
            boxes.append(b)
            masks.append([mask_utils.merge(mask_utils.frPyObjects(ann['masks'][k], info['height'],
                                                                  info['width'])) for k in sel])
        results.append((boxes, masks))
    return results


def _perturbed_results(ds, coco, seed=0):
    """Jittered, partly dropped detections plus false positives; masks = box masks."""
    rng = np.random.default_rng(seed)
    results = []
    for i, img_id in enumerate(ds.img_ids):
        info = coco.loadImgs(img_id)[0]
        h, w = info['height'], info['width']
        ann = ds.get_ann_info(i)
        boxes, masks = [], []
        for c in range(len(ds.CLASSES)):
            b = ann['bboxes'][ann['labels'] == c]
            b = b[rng.random(len(b)) > 0.3]
            b = b + rng.normal(0, 1.5, b.shape)
            k = rng.integers(0, 3)
            xy = rng.uniform(0, 60, (k, 2))
            b = np.vstack([b, np.hstack([xy, xy + rng.uniform(5, 30, (k, 2))])])
            b = np.clip(b, 0, [w, h, w, h])
            b = b[(b[:, 2] > b[:, 0] + 1) & (b[:, 3] > b[:, 1] + 1)]
            scores = rng.uniform(0.05, 1, (len(b), 1))
            boxes.append(np.hstack([b, scores]).astype(np.float32))
            ms = []
            for x1, y1, x2, y2 in b:
                m = np.zeros((h, w), np.uint8)
                m[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))] = 1
                ms.append(m.astype(bool))
            masks.append(ms)
        results.append((boxes, masks))
    return results


def _pycocotools_stats(ann_file, ds, results, iou_type):
    """The reference: our own JSON conversion, then COCOeval as MMDetection sets it up."""
    preds = []
    for img_id, (boxes, masks) in zip(ds.img_ids, results):
        for c, (b, ms) in enumerate(zip(boxes, masks)):
            for k in range(len(b)):
                p = dict(image_id=img_id, category_id=ds.cat_ids[c], score=float(b[k, 4]))
                if iou_type == 'bbox':
                    x1, y1, x2, y2 = (float(v) for v in b[k, :4])
                    p['bbox'] = [x1, y1, x2 - x1, y2 - y1]
                else:
                    m = ms[k]
                    rle = m if isinstance(m, dict) else mask_utils.encode(
                        np.asfortranarray(m.astype(np.uint8)))
                    p['segmentation'] = dict(size=rle['size'], counts=rle['counts'].decode()
                                             if isinstance(rle['counts'], bytes)
                                             else rle['counts'])
                preds.append(p)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(ann_file)
        dt = gt.loadRes(copy.deepcopy(preds))
        ev = COCOeval(gt, dt, iou_type)
        ev.params.imgIds = ds.img_ids
        ev.params.catIds = ds.cat_ids
        ev.params.maxDets = [100, 300, 1000]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize('which', ['gt', 'perturbed'])
def test_evaluate_equals_pycocotools(shapes, which, capsys):
    ds = _dataset(shapes, test_mode=True)
    coco = ds.coco
    results = _gt_results(ds, coco) if which == 'gt' else _perturbed_results(ds, coco)
    out = ds.evaluate(results, metric=['bbox', 'segm'], classwise=True, metric_items=ALL_ITEMS)
    for iou_type in ('bbox', 'segm'):
        ref = _pycocotools_stats(ds.ann_file, ds, results, iou_type)
        ours = [out[f'{iou_type}_{k}'] for k in ALL_ITEMS]
        np.testing.assert_allclose(ours, np.round(ref, 3), atol=1e-9, err_msg=iou_type)
        assert out[f'{iou_type}_mAP_copypaste'] == ' '.join(f'{a:.3f}' for a in ref[:6])
    if which == 'gt':  # ground truth as detections: perfect, except crowd effects
        assert out['bbox_mAP'] == 1.0 and out['bbox_mAP_50'] == 1.0
        assert out['segm_mAP'] == 1.0
    else:
        assert 0.05 < out['bbox_mAP'] < 0.95
    printed = capsys.readouterr().out
    assert '| category | AP    | category | AP' in printed and '| circle ' in printed


def test_default_metric_keys_and_results2json(shapes, tmp_path):
    ds = _dataset(shapes, test_mode=True)
    results = [r[0] for r in _gt_results(ds, ds.coco)]
    out = ds.evaluate(results, jsonfile_prefix=str(tmp_path / 'res'), logger='silent')
    assert list(out) == ['bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m',
                         'bbox_mAP_l', 'bbox_mAP_copypaste']
    dets = json.loads((tmp_path / 'res.bbox.json').read_text())
    first = next(d for d in dets if d['image_id'] == ds.img_ids[0])
    b = ds.get_ann_info(0)['bboxes'][0]
    assert first['bbox'] == pytest.approx([b[0], b[1], b[2] - b[0], b[3] - b[1]])
    assert first['category_id'] == ds.cat_ids[int(ds.get_ann_info(0)['labels'][0])]
    # segm results carry no bbox key once evaluated, and a mask score per mask
    seg_res = _gt_results(ds, ds.coco)
    files, tmp = ds.format_results(seg_res)
    segs = json.loads(open(files['segm']).read())
    assert isinstance(segs[0]['segmentation']['counts'], str)
    assert all('bbox' not in s for s in segs) and segs[0]['score'] == 1.0
    tmp.cleanup()
    with pytest.raises(KeyError, match="metric 'bbx' is not supported \\(did you mean 'bbox'"):
        ds.evaluate(results, metric='bbx')
    with pytest.raises(ValueError, match='not equal to the dataset len: 1 != 16'):
        ds.evaluate(results[:1])


def test_proposal_metrics(shapes):
    ds = _dataset(shapes, test_mode=True)
    props = []
    for i in range(len(ds)):
        b = ds.get_ann_info(i)['bboxes']
        props.append(np.hstack([b, np.ones((len(b), 1), np.float32)]))
    out = ds.evaluate(props, metric=['proposal', 'proposal_fast'], logger='silent')
    assert out['AR@100'] == 1.0 and out['AR@1000'] == 1.0
    assert out['AR_l@1000'] in (1.0, -1.0)


def test_more_bad_annotations_are_named(tmp_path):
    anns = [_ann(1, 1, 1, [50, 50, 5, 5]),                      # outside the 40x40 image
            _ann(2, 1, 1, [1, 1, 5, 5], area=0),                # area 0
            _ann(3, 1, 1, [1, 1, 0.5, 5]),                      # w < 1 px
            _ann(4, 1, 1, [1, 1, 5], area=5),                   # 3 numbers
            _ann(5, 1, 1, [1, 1, 5, 5], segmentation=dict(counts='x', size=[20, 20])),
            _ann(6, 9, 1, [1, 1, 5, 5]),                        # no image 9
            _ann(7, 1, 1, [1, 1, 5, 5], segmentation=dict(counts='x', size=[40, 40])),
            _ann(8, 2, 2, [1, 1, 5, 5], ignore=True)]           # 'ignore': quietly left out
    path = _write(tmp_path, _coco(anns))
    ds = CocoDataset(path, [], classes=('circle', 'square'), img_prefix=str(tmp_path),
                     test_mode=True)
    line = ds.load_report.summary()
    for part in ['1 bbox outside the image (e.g. ann id 1 in ann.json)',
                 '1 area ≤ 0 (e.g. ann id 2 in ann.json)',
                 '1 bbox w/h < 1 px (e.g. ann id 3 in ann.json)',
                 '1 malformed bbox (e.g. ann id 4 in ann.json: [1, 1, 5])',
                 '1 malformed segmentation (e.g. ann id 5 in ann.json: an RLE of size [20, 20] '
                 'on a 40x40 image)',
                 '1 annotations of an unknown image id (e.g. image_id 9 of ann id 6 in ann.json)']:
        assert part in line, (part, line)
    assert line.startswith('ann.json: 2 images: 2 used, 6 skipped: ')
    assert ds.get_ann_info(0)['masks'] == [dict(counts='x', size=[40, 40])]
    assert len(ds.get_ann_info(1)['bboxes']) == 0
