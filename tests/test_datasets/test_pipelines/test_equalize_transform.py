import numpy as np
import pytest
from PIL import Image, ImageOps

from detkit.datasets.pipelines.equalize_transform import EqualizeTransform


def test_hand_computed_lut():
    ch = np.array([50] * 300 + [100] * 300 + [200] * 100, np.uint8).reshape(7, 100)
    img = np.stack([ch, ch, ch], -1)
    out = EqualizeTransform(prob=1.0)(dict(img=img))['img']
    # step = (700 - 100) // 255 = 2; lut[v] = (cumsum[v - 1] + 1) // 2, capped at 255
    expect = np.where(ch == 50, 0, np.where(ch == 100, 150, 255))
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], expect)


def test_matches_pil_equalize():
    img = np.random.RandomState(0).randint(0, 120, (16, 20, 3)).astype(np.uint8)
    out = EqualizeTransform(prob=1.0)(dict(img=img.copy()))['img']
    for c in range(3):
        ref = np.asarray(ImageOps.equalize(Image.fromarray(img[..., c])))
        np.testing.assert_array_equal(out[..., c], ref)


def test_too_few_pixels_is_identity():
    img = np.array([[[1, 2, 3], [9, 8, 7]]], np.uint8)
    np.testing.assert_array_equal(EqualizeTransform(1.0)(dict(img=img.copy()))['img'], img)
    with pytest.raises(KeyError, match="EqualizeTransform.*'img'"):
        EqualizeTransform(1.0)(dict(image=img))
