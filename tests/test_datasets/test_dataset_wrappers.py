"""ConcatDataset, RepeatDataset, ClassBalancedDataset, MultiImageMixDataset."""
import math

import numpy as np
import pytest

from detkit.datasets import ClassBalancedDataset, ConcatDataset, MultiImageMixDataset, RepeatDataset
from detkit.registry import PIPELINES


class _Toy:
    """A minimal dataset: per image a list of labels, flag = index parity."""

    CLASSES = ('a', 'b', 'c')

    def __init__(self, labels, name='toy'):
        self.labels = labels
        self.flag = np.array([i % 2 for i in range(len(labels))], np.uint8)
        self.ann_file = name
        self.data_infos = [dict(i=i) for i in range(len(labels))]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return dict(idx=idx, name=self.ann_file)

    def get_cat_ids(self, idx):
        return list(self.labels[idx])

    def get_ann_info(self, idx):
        return dict(labels=np.array(self.labels[idx]))

    def evaluate(self, results, logger=None, **kw):
        return dict(n=len(results), first=results[0], infos=len(self.data_infos))


def test_concat_dataset_indexing_flags_and_eval():
    a, b = _Toy([[0], [1], [2]], 'A'), _Toy([[1], [0, 1]], 'B')
    cat = ConcatDataset([a, b])
    assert len(cat) == 5 and cat[3] == dict(idx=0, name='B') and cat[-1]['idx'] == 1
    assert cat.get_cat_ids(4) == [0, 1] and cat.get_cat_ids(-5) == [0]
    np.testing.assert_array_equal(cat.get_ann_info(1)['labels'], [1])
    np.testing.assert_array_equal(cat.flag, [0, 1, 0, 0, 1])
    assert cat.CLASSES == ('a', 'b', 'c')
    out = cat.evaluate(list(range(5)))
    assert out == {'0_n': 3, '0_first': 0, '0_infos': 3, '1_n': 2, '1_first': 3, '1_infos': 2}
    joint = ConcatDataset([a, b], separate_eval=False)
    assert joint.evaluate(list(range(5))) == dict(n=5, first=0, infos=5)
    assert len(a.data_infos) == 3  # restored
    with pytest.raises(ValueError, match='different sizes: 5 v.s. 4'):
        cat.evaluate(list(range(4)))

    class Other(_Toy):
        pass

    with pytest.raises(ValueError, match='same types'):
        ConcatDataset([a, Other([[0]])], separate_eval=False)


def test_repeat_dataset():
    rep = RepeatDataset(_Toy([[0], [1], [2]]), times=3)
    assert len(rep) == 9 and rep[7]['idx'] == 1 and rep.get_cat_ids(5) == [2]
    np.testing.assert_array_equal(rep.flag, [0, 1, 0] * 3)
    with pytest.raises(ValueError, match='times must be a positive int'):
        RepeatDataset(_Toy([[0]]), times=0)


def test_class_balanced_dataset_repeat_factors():
    # 10 images: class 0 in all, class 1 in 2, class 2 in 1; one image empty
    labels = [[0]] * 7 + [[0, 1], [0, 1, 2], []]
    ds = _Toy(labels)
    cb = ClassBalancedDataset(ds, oversample_thr=0.5)
    # f(0) = 0.9 -> r = 1; f(1) = 0.2 -> sqrt(2.5); f(2) = 0.1 -> sqrt(5)
    r1, r2 = math.sqrt(0.5 / 0.2), math.sqrt(0.5 / 0.1)
    expect = [1] * 7 + [math.ceil(r1), math.ceil(max(r1, r2)), 1]
    assert len(cb) == sum(expect)
    assert cb.repeat_indices == [i for i, n in enumerate(expect) for _ in range(n)]
    np.testing.assert_array_equal(cb.flag, np.repeat(ds.flag, expect))
    assert cb.get_cat_ids(len(cb) - 1) == []
    # with filter_empty_gt=False the empty image is a category of its own (f = 0.1)
    cb2 = ClassBalancedDataset(ds, oversample_thr=0.5, filter_empty_gt=False)
    assert cb2.repeat_indices.count(9) == math.ceil(r2)


@PIPELINES.register_module(force=True)
class _TakeTwo:
    """A test mix transform: asks for index 0 and records the mix sample indices."""

    def __init__(self, drop_first=0):
        self.calls = 0
        self.drop_first = drop_first

    def get_indexes(self, dataset):
        return 0

    def __call__(self, results):
        self.calls += 1
        if self.calls <= self.drop_first:
            return None
        results['mixed'] = [r['idx'] for r in results['mix_results']]
        return results


def test_multi_image_mix_dataset():
    ds = MultiImageMixDataset(_Toy([[0], [1]]), [dict(type='_TakeTwo', drop_first=2)])
    out = ds[1]
    assert out['idx'] == 1 and out['mixed'] == [0] and 'mix_results' not in out
    np.testing.assert_array_equal(ds.flag, [0, 1])
    ds.update_skip_type_keys(['_TakeTwo'])
    assert 'mixed' not in ds[1]
    never = MultiImageMixDataset(_Toy([[0]]), [dict(type='_TakeTwo', drop_first=99)],
                                 max_refetch=3)
    with pytest.raises(RuntimeError, match='always return None \\(3 tries of _TakeTwo\\)'):
        never[0]
    with pytest.raises(RuntimeError, match='dynamic_scale is deprecated'):
        MultiImageMixDataset(_Toy([[0]]), [], dynamic_scale=(640, 640))
    with pytest.raises(TypeError, match='pipeline\\[0\\] must be a dict'):
        MultiImageMixDataset(_Toy([[0]]), [_TakeTwo()])
