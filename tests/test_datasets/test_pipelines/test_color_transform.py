import numpy as np
import pytest

from detkit.datasets.pipelines.color_transform import ColorTransform


def test_level0_blends_towards_grey():
    img = np.array([[[10, 50, 200], [0, 0, 0]]], np.uint8)
    np.random.seed(0)
    out = ColorTransform(level=0, prob=1.0)(dict(img=img))['img']
    # grey(10, 50, 200) = round(.114 * 10 + .587 * 50 + .299 * 200) = 90; 0.1 * img + 0.9 * 90
    np.testing.assert_array_equal(out, [[[82, 86, 101], [0, 0, 0]]])
    assert out.dtype == np.uint8


def test_float_image_is_clipped_and_keeps_dtype():
    img = np.array([[[0., 0., 255.]]], np.float32)
    out = ColorTransform(level=10, prob=1.0)(dict(img=img))['img']
    grey = 0.299 * 255
    expect = np.clip(1.9 * img - 0.9 * grey, 0, 255)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expect, atol=0.05)


def test_level5_is_identity_and_prob0_skips():
    img = np.random.RandomState(1).randint(0, 255, (3, 4, 3)).astype(np.uint8)
    np.testing.assert_array_equal(ColorTransform(5, prob=1.0)(dict(img=img.copy()))['img'], img)
    res = dict(img=img.copy())
    assert ColorTransform(0, prob=0.0)(res)['img'] is res['img']


def test_bad_level_and_missing_key():
    with pytest.raises(ValueError, match=r'ColorTransform: level must be in \[0, 10\]'):
        ColorTransform(11)
    with pytest.raises(KeyError, match="ColorTransform.*'img'"):
        ColorTransform(3, prob=1.0)(dict())
