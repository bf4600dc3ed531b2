import numpy as np
import pytest

from detkit.registry import PIPELINES, build_from_cfg


def test_passes_results_through_unchanged():
    t = build_from_cfg(dict(type='ToDataContainer', fields=(dict(key='img', stack=True),
                                                           dict(key='proposals'))), PIPELINES)
    results = dict(img=np.zeros((2, 2, 3)), proposals=np.ones((1, 4)))
    out = t(results)
    assert out is results and set(out) == {'img', 'proposals'}


def test_missing_field_names_transform_and_key():
    t = build_from_cfg(dict(type='ToDataContainer'), PIPELINES)
    with pytest.raises(KeyError, match="ToDataContainer needs the key 'gt_labels'"):
        t(dict(img=np.zeros((1, 1, 3)), gt_bboxes=np.zeros((0, 4))))


def test_field_without_key_is_rejected():
    with pytest.raises(TypeError, match='must be a dict with a "key"'):
        build_from_cfg(dict(type='ToDataContainer', fields=[dict(stack=True)]), PIPELINES)
