"""tools/misc/make_synthetic_coco.py and detkit.datasets.synthetic."""
import filecmp
import importlib.util
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from detkit.datasets.synthetic import SHAPE_CLASSES, SyntheticShapes, rle_encode

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'misc', 'make_synthetic_coco.py')


def _tool():
    spec = importlib.util.spec_from_file_location('make_synthetic_coco', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _files(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    tool = _tool()
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        tool.main(['--out', str(tmp_path / name), '--num-train', '6', '--num-val', '3',
                   '--seed', str(seed), '--img-size', '96'])
    files = _files(tmp_path / 'a')
    assert files == _files(tmp_path / 'b')
    assert 'annotations/instances_train2017.json' in files and 'val2017/000003.jpg' in files
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'b', files, shallow=False)
    assert mismatch == [] and errors == []
    _, mismatch, _ = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'c', files, shallow=False)
    assert mismatch  # another seed, other scenes


def test_coco_json_loads_and_boxes_enclose_polygons(tmp_path):
    _tool().main(['--out', str(tmp_path), '--num-train', '40', '--num-val', '0', '--seed', '0',
                  '--img-size', '128', '--img-ext', '.png'])
    coco = COCO(str(tmp_path / 'annotations' / 'instances_train2017.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(SHAPE_CLASSES)
    anns = coco.loadAnns(coco.getAnnIds())
    assert len(anns) > 40
    assert any(a['iscrowd'] for a in anns)
    assert any(not coco.getAnnIds(imgIds=[i]) for i in coco.getImgIds())  # empty images
    sizes = {(im['width'], im['height']) for im in coco.loadImgs(coco.getImgIds())}
    assert len(sizes) > 1  # varied aspect ratios
    for a in anns:
        img = coco.loadImgs(a['image_id'])[0]
        h, w = img['height'], img['width']
        x, y, bw, bh = a['bbox']
        assert bw > 0 and bh > 0 and x >= 0 and y >= 0 and x + bw <= w and y + bh <= h
        if a['iscrowd']:
            m = mask_utils.decode(mask_utils.frPyObjects(a['segmentation'], h, w))
        else:
            pts = np.concatenate([np.reshape(p, (-1, 2)) for p in a['segmentation']])
            assert (pts[:, 0] >= x).all() and (pts[:, 0] <= x + bw).all()
            assert (pts[:, 1] >= y).all() and (pts[:, 1] <= y + bh).all()
            m = np.zeros((h, w), np.uint8)  # the polygon is the exact (cv2) mask
            cv2.fillPoly(m, [np.reshape(p, (-1, 2)).astype(np.int32)
                             for p in a['segmentation']], 1)
        ys, xs = np.nonzero(m)
        assert a['area'] == m.sum()
        assert [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1] == a['bbox']
        # pycocotools' own rasterisation agrees closely (it drops half border pixels)
        rle = coco.annToRLE(a)
        assert mask_utils.area(rle) <= a['area'] and mask_utils.area(rle) > 0.4 * a['area']
    img = cv2.imread(str(tmp_path / 'train2017' / '000001.png'))
    im = coco.loadImgs(1)[0]
    assert img.shape == (im['height'], im['width'], 3)


def test_voc_layout(tmp_path):
    _tool().main(['--out', str(tmp_path), '--num-train', '4', '--num-val', '2', '--seed', '1',
                  '--img-size', '80', '64', '--format', 'voc'])
    main = tmp_path / 'VOC2007' / 'ImageSets' / 'Main'
    ids = (main / 'train.txt').read_text().split()
    assert ids == ['train_000001', 'train_000002', 'train_000003', 'train_000004']
    assert (main / 'trainval.txt').read_text() == (main / 'train.txt').read_text()
    assert (main / 'test.txt').read_text().split() == ['val_000001', 'val_000002']
    root = ET.parse(tmp_path / 'VOC2007' / 'Annotations' / 'train_000001.xml').getroot()
    assert root.find('size/width').text == '80' and root.find('size/height').text == '64'
    for obj in root.findall('object'):
        assert obj.find('name').text in SHAPE_CLASSES
        b = [int(obj.find(f'bndbox/{k}').text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
        assert 1 <= b[0] <= b[2] <= 80 and 1 <= b[1] <= b[3] <= 64
    assert (tmp_path / 'VOC2007' / 'JPEGImages' / 'val_000002.jpg').exists()


def test_rle_encode_matches_pycocotools():
    rng = np.random.default_rng(0)
    for shape in ((5, 7), (1, 1), (4, 4)):
        m = (rng.random(shape) > 0.5).astype(np.uint8)
        m[0, 0] = 1  # the first run counts zeros: must start with a 0-length run
        ours = rle_encode(m)
        assert ours['counts'][0] == 0
        np.testing.assert_array_equal(
            mask_utils.decode(mask_utils.frPyObjects(ours, *shape)), m)
        assert json.dumps(ours)


def test_unknown_class_and_tiny_size_are_named():
    with pytest.raises(KeyError, match="unknown shape 'circel'.*circle"):
        SyntheticShapes(classes=('circel',))
    with pytest.raises(ValueError, match=r'img_size must be .* but got \(64, 16\)'):
        SyntheticShapes(img_size=(64, 16))
