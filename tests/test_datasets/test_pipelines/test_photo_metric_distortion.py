import numpy as np
import pytest

from detkit.datasets.pipelines.photo_metric_distortion import PhotoMetricDistortion
from detkit.registry import PIPELINES, build_from_cfg


def _feed(monkeypatch, name, values):
    """Make np.random.<name> return ``values`` one call at a time."""
    it = iter(values)
    monkeypatch.setattr(np.random, name, lambda *a, **k: next(it))


def _img():
    rng = np.random.RandomState(0)
    return rng.randint(20, 200, (4, 5, 3)).astype(np.uint8)


def test_brightness_only(monkeypatch):
    img = _img()
    # brightness on, mode 0, saturation off, hue off, contrast off, swap off
    _feed(monkeypatch, 'randint', [1, 0, 0, 0, 0, 0])
    _feed(monkeypatch, 'uniform', [10.0])
    out = PhotoMetricDistortion()(dict(img=img.copy()))['img']
    assert out.dtype == np.float32 and out.shape == img.shape
    np.testing.assert_allclose(out, img.astype(np.float32) + 10, atol=1e-3)


def test_contrast_first_then_channel_swap(monkeypatch):
    img = _img()
    # brightness off, mode 1, contrast on, saturation off, hue off, swap on
    _feed(monkeypatch, 'randint', [0, 1, 1, 0, 0, 1])
    _feed(monkeypatch, 'uniform', [1.5])
    _feed(monkeypatch, 'permutation', [np.array([2, 1, 0])])
    out = PhotoMetricDistortion()(dict(img=img.copy()))['img']
    np.testing.assert_allclose(out, (img.astype(np.float32) * 1.5)[..., ::-1], rtol=1e-5,
                               atol=1e-3)


def test_zero_saturation_gives_grey_at_value(monkeypatch):
    img = np.array([[[10, 50, 200], [90, 30, 60]]], dtype=np.uint8)
    _feed(monkeypatch, 'randint', [0, 0, 1, 0, 0, 0])
    _feed(monkeypatch, 'uniform', [0.0])
    out = PhotoMetricDistortion()(dict(img=img))['img']
    # S = 0 leaves only V = max(B, G, R) in every channel
    np.testing.assert_allclose(out, [[[200] * 3, [90] * 3]], atol=1e-3)


def test_hue_shift_red_to_green(monkeypatch):
    img = np.array([[[0, 0, 255]]], dtype=np.uint8)  # BGR red, hue 0
    _feed(monkeypatch, 'randint', [0, 0, 0, 1, 0, 0])
    _feed(monkeypatch, 'uniform', [120.0])
    out = PhotoMetricDistortion(hue_delta=180)(dict(img=img))['img']
    np.testing.assert_allclose(out, [[[0, 255, 0]]], atol=1e-2)


def test_hue_wraps_below_zero(monkeypatch):
    img = np.array([[[0, 255, 0]]], dtype=np.uint8)  # green, hue 120
    _feed(monkeypatch, 'randint', [0, 0, 0, 1, 0, 0])
    _feed(monkeypatch, 'uniform', [-240.0])  # 120 - 240 = -120 -> 240: blue
    out = PhotoMetricDistortion(hue_delta=240)(dict(img=img))['img']
    np.testing.assert_allclose(out, [[[255, 0, 0]]], atol=1e-2)


def test_seeded_runs_repeat_and_registry():
    t = build_from_cfg(dict(type='PhotoMetricDistortion', brightness_delta=16), PIPELINES)
    np.random.seed(3)
    a = t(dict(img=_img()))['img']
    np.random.seed(3)
    b = t(dict(img=_img()))['img']
    np.testing.assert_array_equal(a, b)


def test_missing_img_names_transform_and_key():
    with pytest.raises(KeyError, match=r"PhotoMetricDistortion.*'img'"):
        PhotoMetricDistortion()(dict(gt_bboxes=np.zeros((0, 4))))
