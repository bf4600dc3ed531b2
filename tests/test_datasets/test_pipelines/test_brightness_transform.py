import numpy as np
import pytest

from detkit.datasets.pipelines.brightness_transform import BrightnessTransform


def test_factor_from_level():
    img = np.array([[[100, 200, 0]]], np.uint8)
    out = BrightnessTransform(level=0, prob=1.0)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, [[[10, 20, 0]]])    # factor 0.1
    out = BrightnessTransform(level=10, prob=1.0)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, [[[190, 255, 0]]])  # factor 1.9, clipped


def test_prob_draw(monkeypatch):
    monkeypatch.setattr(np.random, 'rand', lambda *a: 0.7)
    img = np.full((1, 1, 3), 100, np.uint8)
    assert BrightnessTransform(0, prob=0.6)(dict(img=img))['img'][0, 0, 0] == 100
    assert BrightnessTransform(0, prob=0.8)(dict(img=img))['img'][0, 0, 0] == 10


def test_errors():
    with pytest.raises(ValueError, match='BrightnessTransform: prob'):
        BrightnessTransform(1, prob=2)
    with pytest.raises(TypeError, match='BrightnessTransform: level'):
        BrightnessTransform('3')
