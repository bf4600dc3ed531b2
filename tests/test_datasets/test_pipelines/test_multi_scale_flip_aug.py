import numpy as np
import pytest
from _core_pipeline_data import make_results

from detkit.datasets.pipelines import Compose, MultiScaleFlipAug

NORM = dict(mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False)


def _tta(**kw):
    return MultiScaleFlipAug(transforms=[dict(type='Resize', keep_ratio=True),
                                         dict(type='RandomFlip'),
                                         dict(type='Normalize', **NORM),
                                         dict(type='Pad', size_divisor=8),
                                         dict(type='ImageToTensor', keys=['img']),
                                         dict(type='Collect', keys=['img'])], **kw)


def test_scales_and_flips_in_order():
    res = make_results(seg=False)
    img = res['img'].astype(np.float32)
    out = _tta(img_scale=[(30, 20), (60, 40)], flip=True,
               flip_direction=['horizontal', 'vertical'])(res)
    assert set(out) == {'img', 'img_metas'} and len(out['img']) == 6
    metas = out['img_metas']
    assert [(m['img_shape'][:2], m['flip'], m['flip_direction']) for m in metas] == [
        ((20, 30), False, None), ((20, 30), True, 'horizontal'), ((20, 30), True, 'vertical'),
        ((40, 60), False, None), ((40, 60), True, 'horizontal'), ((40, 60), True, 'vertical')]
    assert [tuple(t.shape) for t in out['img']] == [(3, 24, 32)] * 3 + [(3, 40, 64)] * 3
    np.testing.assert_array_equal(metas[4]['scale_factor'], [2, 2, 2, 2])
    # the horizontally flipped copy at scale 1 is the mirrored image
    np.testing.assert_array_equal(out['img'][1][:, :20, :30].permute(1, 2, 0).numpy(),
                                  img[:, ::-1])
    np.testing.assert_array_equal(out['img'][0][:, :20, :30].permute(1, 2, 0).numpy(), img)
    assert 'flip' not in res  # the input is not modified


def test_scale_factor_mode_and_pipeline():
    out = _tta(scale_factor=[0.5, 1.5])(make_results(seg=False))
    assert [m['img_shape'][:2] for m in out['img_metas']] == [(10, 15), (30, 45)]
    np.testing.assert_allclose(out['img_metas'][1]['scale_factor'], [1.5] * 4)
    c = Compose([dict(type='MultiScaleFlipAug', img_scale=(30, 20), flip=False,
                      transforms=[dict(type='Resize', keep_ratio=True), dict(type='RandomFlip'),
                                  dict(type='Collect', keys=['img'], meta_keys=['flip'])])])
    assert len(c(make_results(seg=False))['img']) == 1


def test_args():
    with pytest.raises(ValueError, match='exactly one of img_scale and scale_factor'):
        _tta()
    with pytest.raises(ValueError, match='exactly one'):
        _tta(img_scale=(1, 1), scale_factor=1.0)
    assert _tta(img_scale=[[30, 20], [60, 40]]).img_scale == [(30, 20), (60, 40)]
    with pytest.raises(TypeError, match='img_scale'):
        _tta(img_scale='big')
    with pytest.raises(ValueError, match='flip_direction'):
        _tta(img_scale=(1, 1), flip=True, flip_direction='sideways')
    with pytest.warns(UserWarning, match='no effect when flip is False'):
        _tta(img_scale=(1, 1), flip_direction='vertical')
    with pytest.warns(UserWarning, match='without RandomFlip'):
        MultiScaleFlipAug(transforms=[], img_scale=(1, 1), flip=True)
    drop = MultiScaleFlipAug(transforms=[lambda r: None], img_scale=(1, 1))
    with pytest.raises(ValueError, match='dropped the test sample'):
        drop(make_results())
