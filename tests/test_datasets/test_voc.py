"""XMLDataset / VOCDataset: parsing, difficult -> ignore, bad XML, VOC mAP."""
import numpy as np
import pytest

from detkit.datasets import SHAPE_CLASSES, VOCDataset, XMLDataset, make_synthetic_dataset

OBJ = ('<object><name>{name}</name><difficult>{d}</difficult><bndbox><xmin>{b[0]}</xmin>'
       '<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>')


def _voc(tmp_path, xmls, year='VOC2007'):
    root = tmp_path / year
    (root / 'Annotations').mkdir(parents=True)
    (root / 'JPEGImages').mkdir()
    (root / 'ImageSets').mkdir()
    for img_id, body in xmls.items():
        (root / 'Annotations' / f'{img_id}.xml').write_text(f'<annotation>{body}</annotation>')
        (root / 'JPEGImages' / f'{img_id}.jpg').write_bytes(b'x')
    (root / 'ImageSets' / 'ids.txt').write_text('\n'.join(xmls))
    return root


SIZE = '<size><width>{}</width><height>{}</height></size>'


def test_parse_difficult_min_size_and_filtering(tmp_path):
    root = _voc(tmp_path, {
        '1': SIZE.format(60, 40) + OBJ.format(name='dog', d=0, b=(11, 21, 40, 30))
        + OBJ.format(name='cat', d=1, b=(1, 1, 30, 30))
        + OBJ.format(name='cat', d=0, b=(5.7, 5, 9, 9))      # small: ignored with min_size
        + OBJ.format(name='horse', d=0, b=(1, 1, 5, 5)),     # not a class: dropped
        '2': SIZE.format(60, 40) + OBJ.format(name='horse', d=0, b=(1, 1, 5, 5)),
    })
    ds = XMLDataset(ann_file=str(root / 'ImageSets' / 'ids.txt'), pipeline=[],
                    classes=('cat', 'dog'), img_prefix=str(root), min_size=8)
    assert len(ds) == 1  # image 2 holds no cat/dog
    a = ds.get_ann_info(0)
    np.testing.assert_array_equal(a['bboxes'], [[10, 20, 39, 29]])  # 1-based -> 0-based
    np.testing.assert_array_equal(a['labels'], [1])
    np.testing.assert_array_equal(a['bboxes_ignore'], [[0, 0, 29, 29], [4, 4, 8, 8]])
    np.testing.assert_array_equal(a['labels_ignore'], [0, 0])
    assert ds.get_cat_ids(0) == [1, 0, 0]
    assert ds.data_infos[0]['filename'] == 'JPEGImages/1.jpg'
    assert 'ids.txt: 2 images: 1 used, 1 without annotations' in ds.load_report.summary()
    with pytest.raises(ValueError, match='CLASSES in `XMLDataset` can not be None'):
        XMLDataset(ann_file=str(root / 'ImageSets' / 'ids.txt'), pipeline=[])


def test_missing_size_bndbox_and_unparsable(tmp_path):
    import cv2
    root = _voc(tmp_path, {
        'nosize': OBJ.format(name='cat', d=0, b=(1, 1, 5, 5)),
        'nosize_noimg': OBJ.format(name='cat', d=0, b=(1, 1, 5, 5)),
        'nobox': SIZE.format(50, 50) + '<object><name>cat</name></object>'
        + OBJ.format(name='cat', d=0, b=(1, 1, 5, 5)),
        'broken': '<size>',
    })
    cv2.imwrite(str(root / 'JPEGImages' / 'nosize.jpg'), np.zeros((33, 45, 3), np.uint8))
    (root / 'JPEGImages' / 'nosize_noimg.jpg').write_bytes(b'garbage')
    ds = VOCDataset(ann_file=str(root / 'ImageSets' / 'ids.txt'), pipeline=[],
                    classes=('cat',), img_prefix=str(root))
    assert [r['id'] for r in ds.data_infos] == ['nosize', 'nobox']
    assert (ds.data_infos[0]['width'], ds.data_infos[0]['height']) == (45, 33)  # from the image
    assert len(ds.get_ann_info(1)['bboxes']) == 1
    line = ds.load_report.summary()
    assert '1 XML without <size> and unreadable image (Annotations/nosize_noimg.xml)' in line
    assert '1 objects without a complete <bndbox> (e.g. object 0 in Annotations/nobox.xml)' in line
    assert '1 unparsable XML (' in line and 'broken.xml' in line
    assert line.startswith('ids.txt: 4 images: 2 used, 3 skipped: ')


def test_year_and_voc07_eleven_point_map(tmp_path):
    make_synthetic_dataset(str(tmp_path), num_train=0, num_val=6, seed=3, img_size=96, fmt='voc')
    kw = dict(ann_file=str(tmp_path / 'VOC2007/ImageSets/Main/test.txt'), pipeline=[],
              classes=SHAPE_CLASSES, img_prefix=str(tmp_path / 'VOC2007/'), test_mode=True)
    ds = VOCDataset(**kw)
    assert ds.year == 2007
    # ground truth as detections: every class present has AP 1
    results = []
    for i in range(len(ds)):
        a = ds.get_ann_info(i)
        results.append([np.hstack([a['bboxes'][a['labels'] == c],
                                   np.full(((a['labels'] == c).sum(), 1), 0.5)]).astype(np.float32)
                        for c in range(len(SHAPE_CLASSES))])
    assert ds.evaluate(results)['mAP'] == 1.0
    # one higher-scored false positive for class 0: precisions k / (k + 1) at recall k / n0,
    # 11-point AP by hand; the other classes keep AP 1
    n0 = sum(int((ds.get_ann_info(i)['labels'] == 0).sum()) for i in range(len(ds)))
    fp = np.array([[0, 0, 3, 3, 0.9]], np.float32)
    results[0][0] = np.vstack([fp, results[0][0]])
    out = ds.evaluate(results)
    recalls = np.arange(1, n0 + 1) / n0
    precisions = np.arange(1, n0 + 1) / np.arange(2, n0 + 2)
    ap0 = np.mean([precisions[recalls >= t].max() if (recalls >= t).any() else 0
                   for t in np.arange(0, 1.1, 0.1)])
    present = [c for c in range(len(SHAPE_CLASSES))
               if any((ds.get_ann_info(i)['labels'] == c).any() for i in range(len(ds)))]
    assert out['mAP'] == pytest.approx((ap0 + len(present) - 1) / len(present), abs=1e-6)
    with pytest.raises(ValueError, match="Cannot infer dataset year from img_prefix"):
        VOCDataset(**{**kw, 'img_prefix': str(tmp_path / 'VOC')})
