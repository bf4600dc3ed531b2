import numpy as np
import pytest

from detkit.datasets.pipelines.auto_augment import AutoAugment
from detkit.registry import PIPELINES, build_from_cfg


class _Drop:
    def __call__(self, results):
        return None


class _Boom:
    def __call__(self, results):
        raise AssertionError('must not run after a transform dropped the sample')


def _results():
    img = np.zeros((4, 6, 3), np.uint8)
    return dict(img=img, img_shape=img.shape, bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array([[0, 0, 2, 2]], np.float32), gt_labels=np.array([0]))


def test_chosen_policy_is_applied_in_order(monkeypatch):
    policies = [
        [dict(type='BrightnessTransform', level=0, prob=1.0)],
        [dict(type='Translate', level=10, prob=1.0, max_translate_offset=2,
              random_negative_prob=0.0),
         dict(type='Translate', level=10, prob=1.0, max_translate_offset=1,
              random_negative_prob=0.0, direction='vertical')],
    ]
    t = build_from_cfg(dict(type='AutoAugment', policies=policies), PIPELINES)
    monkeypatch.setattr(np.random, 'choice', lambda n: 1)
    out = t(_results())
    np.testing.assert_allclose(out['gt_bboxes'], [[2, 1, 4, 3]])


def test_seeded_choice_covers_both_policies():
    policies = [[dict(type='BrightnessTransform', level=0, prob=1.0)],
                [dict(type='BrightnessTransform', level=10, prob=1.0)]]
    t = AutoAugment(policies)
    np.random.seed(0)
    seen = set()
    for _ in range(20):
        res = _results()
        res['img'][:] = 100
        seen.add(int(t(res)['img'][0, 0, 0]))
    assert seen == {10, 190}


def test_none_stops_the_policy(monkeypatch):
    t = AutoAugment([[dict(type=_Drop), dict(type=_Boom)]])
    assert t(_results()) is None


def test_bad_policies():
    with pytest.raises(ValueError, match='non-empty list'):
        AutoAugment([])
    with pytest.raises(ValueError, match=r'policies\[0\]\[0\].*"type"'):
        AutoAugment([[dict(level=1)]])
    with pytest.raises(KeyError, match="Shearr.*did you mean 'Shear'"):
        AutoAugment([[dict(type='Shearr', level=1)]])
