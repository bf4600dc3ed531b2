import numpy as np
import pytest

from detkit.datasets.pipelines import Collect


def _results():
    return dict(img='IMG', gt_bboxes='B', gt_labels='L', extra='X', filename='f',
                ori_filename='o', ori_shape=(1, 2, 3), img_shape=(1, 2, 3), pad_shape=(4, 4, 3),
                scale_factor=np.ones(4, np.float32), flip=False, flip_direction=None,
                img_norm_cfg={})


def test_collect_default_meta():
    out = Collect(keys=['img', 'gt_bboxes', 'gt_labels'])(_results())
    assert set(out) == {'img_metas', 'img', 'gt_bboxes', 'gt_labels'}
    assert list(out['img_metas']) == ['filename', 'ori_filename', 'ori_shape', 'img_shape',
                                      'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                                      'img_norm_cfg']
    assert out['img_metas']['pad_shape'] == (4, 4, 3) and out['img'] == 'IMG'


def test_collect_custom_and_missing():
    out = Collect(keys=['img'], meta_keys=('extra',))(_results())
    assert out == {'img_metas': {'extra': 'X'}, 'img': 'IMG'}
    res = _results()
    del res['flip']
    with pytest.raises(KeyError, match="Collect: meta key 'flip' is not in results"):
        Collect(keys=['img'])(res)
    with pytest.raises(KeyError, match="did you mean 'gt_labels'"):
        Collect(keys=['gt_label'])(_results())
