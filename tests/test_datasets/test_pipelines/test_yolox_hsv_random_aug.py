import cv2
import numpy as np
import pytest

from detkit.datasets.pipelines.yolox_hsv_random_aug import YOLOXHSVRandomAug


def _force(monkeypatch, unit_gains, on):
    monkeypatch.setattr(np.random, 'uniform', lambda *a, **k: np.array(unit_gains, float))
    monkeypatch.setattr(np.random, 'randint', lambda *a, **k: np.array(on))


def test_value_gain_on_grey(monkeypatch):
    _force(monkeypatch, [0.3, -0.2, -1.0], [0, 0, 1])
    img = np.full((2, 3, 3), 100, np.uint8)
    out = YOLOXHSVRandomAug()(dict(img=img))['img']
    assert out.dtype == np.uint8 and out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out, 70)  # V: 100 - 30


def test_value_is_clipped(monkeypatch):
    _force(monkeypatch, [0, 0, 1.0], [1, 1, 1])
    out = YOLOXHSVRandomAug()(dict(img=np.full((1, 1, 3), 250, np.uint8)))['img']
    np.testing.assert_array_equal(out, 255)


def test_hue_gain_and_wrap(monkeypatch):
    # hue 178 (8-bit) + 5 wraps to 3
    hsv = np.array([[[178, 255, 255]]], np.uint8)
    img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    _force(monkeypatch, [1.0, 0, 0], [1, 0, 0])
    out = YOLOXHSVRandomAug()(dict(img=img.copy()))['img']
    expect = cv2.cvtColor(np.array([[[3, 255, 255]]], np.uint8), cv2.COLOR_HSV2BGR)
    np.testing.assert_array_equal(out, expect)
    # hand value: hue 6 degrees -> R = 255, G = 255 * 6 / 60, B = 0
    assert out[0, 0, 2] == 255 and out[0, 0, 0] == 0 and abs(int(out[0, 0, 1]) - 26) <= 1


def test_gain_truncates_towards_zero(monkeypatch):
    _force(monkeypatch, [0, 0, -0.99], [1, 1, 1])  # -29.7 -> -29
    out = YOLOXHSVRandomAug()(dict(img=np.full((1, 1, 3), 100, np.uint8)))['img']
    np.testing.assert_array_equal(out, 71)


def test_float_image_and_missing_key_raise():
    with pytest.raises(TypeError, match='YOLOXHSVRandomAug.*uint8'):
        YOLOXHSVRandomAug()(dict(img=np.zeros((2, 2, 3), np.float32)))
    with pytest.raises(KeyError, match="YOLOXHSVRandomAug.*'img'"):
        YOLOXHSVRandomAug()(dict())


def test_flipped_view_input(monkeypatch):
    _force(monkeypatch, [0, 0, -1.0], [0, 0, 1])
    base = np.full((2, 3, 3), 100, np.uint8)
    base[:, 0] = 200
    out = YOLOXHSVRandomAug()(dict(img=base[:, ::-1]))['img']
    np.testing.assert_array_equal(out[:, 2], 170)  # the bright column, now on the right
    np.testing.assert_array_equal(out[:, :2], 70)
