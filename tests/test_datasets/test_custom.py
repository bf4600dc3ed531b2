"""CustomDataset: middle format, checks, groups, dropped and unreadable samples, evaluate."""
import pickle

import cv2
import numpy as np
import pytest

from detkit.datasets import CustomDataset
from detkit.datasets._serialize import SerializedList
from detkit.datasets.pipelines.load_image_from_file import LoadImageFromFile


def _records():
    return [
        dict(filename='a.jpg', width=64, height=48,
             ann=dict(bboxes=np.array([[1, 2, 10, 12], [5, 5, 5, 9]], np.float32),  # 2nd: w=0
                      labels=np.array([1, 0]))),
        dict(filename='b.jpg', width=40, height=60,
             ann=dict(bboxes=np.zeros((0, 4), np.float32), labels=np.zeros(0, np.int64))),
        dict(filename='c.jpg', width=20, height=20,  # too small for training
             ann=dict(bboxes=[[0, 0, 4, 4]], labels=[0])),
        dict(filename='d.jpg', width=80, height=40,
             ann=dict(bboxes=[[0, 0, 4, 4]], labels=[1], bboxes_ignore=[[1, 1, 3, 3]],
                      labels_ignore=[0])),
    ]


@pytest.fixture
def middle(tmp_path):
    for name, (w, h) in zip('abcd', [(64, 48), (40, 60), (20, 20), (80, 40)]):
        img = np.full((h, w, 3), ord(name), np.uint8)
        cv2.imwrite(str(tmp_path / f'{name}.jpg'), img)
    path = tmp_path / 'ann.pkl'
    path.write_bytes(pickle.dumps(_records()))
    return tmp_path, str(path)


def test_loads_middle_format_and_counts(middle):
    root, ann = middle
    ds = CustomDataset(ann, [], classes=('x', 'y'), img_prefix=str(root))
    assert len(ds) == 3 and isinstance(ds.data_infos, SerializedList)
    assert [r['filename'] for r in ds.data_infos] == ['a.jpg', 'b.jpg', 'd.jpg']
    np.testing.assert_array_equal(ds.get_ann_info(0)['bboxes'], [[1, 2, 10, 12]])
    assert ds.get_ann_info(0)['bboxes'].dtype == np.float32
    assert ds.get_cat_ids(0) == [1] and ds.get_cat_ids(1) == []
    np.testing.assert_array_equal(ds.get_ann_info(2)['labels_ignore'], [0])
    np.testing.assert_array_equal(ds.flag, [1, 0, 1])  # width / height > 1
    assert ds.load_report.summary() == (
        "ann.pkl: 4 images: 3 used, 1 smaller than 32 px, 1 skipped: 1 bbox w/h ≤ 0 "
        "(e.g. bboxes[1] of 'a.jpg' in ann.pkl)")
    assert ds.get_cat2imgs() == {0: [], 1: [0, 2]}
    r = repr(ds)
    assert 'CustomDataset Train dataset with number of images 3' in r
    assert '| 0 [x]    | 0     | 1 [y]    | 2     | -1 background | 1     |' in r
    test = CustomDataset(ann, [], classes=('x', 'y'), img_prefix=str(root), test_mode=True)
    assert len(test) == 4 and not hasattr(test, 'flag')


def test_pre_pipeline_keys_and_test_sample(middle):
    root, ann = middle
    ds = CustomDataset(ann, [LoadImageFromFile()], classes=('x', 'y'), img_prefix=str(root),
                       test_mode=True)
    out = ds[1]
    assert out['img'].shape == (60, 40, 3) and 'ann_info' not in out
    assert out['bbox_fields'] == [] and out['img_prefix'] == str(root)


def test_dropped_train_sample_is_replaced_from_its_group(middle):
    root, ann = middle
    seen = []

    def drop_a(results):
        seen.append(results['img_info']['filename'])
        return None if results['img_info']['filename'] == 'a.jpg' else results

    ds = CustomDataset(ann, [drop_a], classes=('x', 'y'), img_prefix=str(root))
    np.random.seed(0)
    out = ds[0]  # a.jpg is dropped; d.jpg is the only other image of its group (flag 1)
    assert out['img_info']['filename'] == 'd.jpg' and seen[0] == 'a.jpg'

    ds = CustomDataset(ann, [lambda r: None], classes=('x', 'y'), img_prefix=str(root))
    with pytest.raises(RuntimeError, match='dropped 50 samples in a row'):
        ds[0]


def test_corrupt_image_is_replaced_in_training_and_fails_in_test(middle, caplog):
    root, ann = middle
    (root / 'a.jpg').write_bytes(b'not a jpeg')
    ds = CustomDataset(ann, [LoadImageFromFile()], classes=('x', 'y'), img_prefix=str(root))
    np.random.seed(0)
    out = ds[0]
    assert out['ori_filename'] == 'd.jpg'
    assert ds.unreadable_images == {'a.jpg': 1}
    assert "skipping unreadable image 'a.jpg'" in caplog.text
    test = CustomDataset(ann, [LoadImageFromFile()], classes=('x', 'y'), img_prefix=str(root),
                         test_mode=True)
    with pytest.raises(ValueError, match='a.jpg'):
        test[0]


def test_missing_image_skipped_and_bad_inputs(middle):
    root, ann = middle
    (root / 'b.jpg').unlink()
    ds = CustomDataset(ann, [], classes=('x', 'y'), img_prefix=str(root))
    assert [r['filename'] for r in ds.data_infos] == ['a.jpg', 'd.jpg']
    assert f'1 missing image file ({root / "b.jpg"})' in ds.load_report.summary()
    with pytest.raises(FileNotFoundError, match="annotation file not found: '.*nope.pkl'"):
        CustomDataset(str(root / 'nope.pkl'), [])
    with pytest.raises(ValueError, match='has no usable image: ann.pkl: 4 images: 0 used, '
                       '.* 4 missing image file'):
        CustomDataset(ann, [], img_prefix=str(root / 'elsewhere'))
    with pytest.raises(FileNotFoundError, match=r"classes='x' is read as a file"):
        CustomDataset(ann, [], classes='x')


def test_data_root_and_proposals(middle):
    root, ann = middle
    props = [np.full((2, 5), i, np.float32) for i in range(4)]
    (root / 'props.pkl').write_bytes(pickle.dumps(props))
    ds = CustomDataset('ann.pkl', [], data_root=str(root), img_prefix='', classes=('x', 'y'),
                       proposal_file='props.pkl')
    assert ds.ann_file == str(root / 'ann.pkl')
    # c.jpg (index 2) is filtered out, its proposals with it
    assert [float(p[0, 0]) for p in ds.proposals] == [0, 1, 3]
    assert ds.prepare_train_img(2)['proposals'][0, 0] == 3
    (root / 'props.pkl').write_bytes(pickle.dumps(props[:2]))
    with pytest.raises(ValueError, match='holds 2 proposal arrays for 4 images'):
        CustomDataset('ann.pkl', [], data_root=str(root), proposal_file='props.pkl')


def test_evaluate_map_and_recall(middle):
    root, ann = middle
    ds = CustomDataset(ann, [], classes=('x', 'y'), img_prefix=str(root), test_mode=True)
    dets = [[np.zeros((0, 5), np.float32),
             np.array([[1, 2, 10, 12, 0.9], [30, 30, 40, 40, 0.8]], np.float32)],
            [np.zeros((0, 5), np.float32)] * 2,
            [np.array([[0, 0, 4, 4, 0.7]], np.float32), np.zeros((0, 5), np.float32)],
            [np.zeros((0, 5), np.float32), np.array([[0, 0, 4, 4, 0.5]], np.float32)]]
    out = ds.evaluate(dets, iou_thr=[0.5, 0.75])
    # class y: TP (0.9), FP (0.8), TP (0.5) of 2 gts -> AP = 0.5 + 0.5 * 2/3; class x: 1.0
    ap = (1 + 0.5 + 0.5 * 2 / 3) / 2
    assert out['AP50'] == round(ap, 3) and out['AP75'] == round(ap, 3)
    assert out['mAP'] == pytest.approx(ap, abs=1e-6)  # the mean of unrounded APs
    props = [d[1][:, :4] if len(d[1]) else np.zeros((0, 4)) for d in dets]
    rec = ds.evaluate(props, metric='recall', proposal_nums=(1, 10), iou_thr=0.5)
    assert rec['recall@10@0.5'] == pytest.approx(2 / 3)  # class-agnostic: 3 gts, c.jpg missed
    with pytest.raises(KeyError, match="metric 'map' is not supported \\(did you mean 'mAP'"):
        ds.evaluate(dets, metric='map')


def test_serialized_list():
    recs = [dict(a=i, b=np.arange(i)) for i in range(5)]
    s = SerializedList(recs)
    assert len(s) == 5 and s[-1]['a'] == 4 and s[1:3][1]['a'] == 2
    np.testing.assert_array_equal(s[3]['b'], [0, 1, 2])
    t = s.take([4, 0])
    assert [r['a'] for r in t] == [4, 0] and len(s.take([])) == 0
    s[0]['a'] = 99  # a copy: the list is unchanged
    assert s[0]['a'] == 0
    with pytest.raises(IndexError, match='record index 5 out of range for 5 records'):
        s[5]
    assert pickle.loads(pickle.dumps(s))[2]['a'] == 2


def test_subclass_records_without_size_are_named(middle):
    root, ann = middle

    class NoSize(CustomDataset):
        def load_annotations(self, ann_file):
            return [dict(filename='a.jpg', ann=dict(bboxes=np.zeros((0, 4)), labels=[]))]

    with pytest.raises(KeyError, match=r"NoSize: record 0 has no width/height \(it has "
                       r"\['ann', 'filename'\]\)"):
        NoSize(ann, [], img_prefix=str(root))
