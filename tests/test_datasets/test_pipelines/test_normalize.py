import numpy as np
import pytest

from detkit.datasets.pipelines import Normalize


def test_normalize_values_and_meta():
    img = np.array([[[10, 20, 30], [0, 0, 255]]], np.uint8)  # BGR
    out = Normalize(mean=[1, 2, 3], std=[2, 4, 5], to_rgb=True)(dict(img=img))
    # RGB of pixel 0 is (30, 20, 10)
    np.testing.assert_allclose(out['img'][0, 0], [(30 - 1) / 2, (20 - 2) / 4, (10 - 3) / 5])
    np.testing.assert_allclose(out['img'][0, 1], [(255 - 1) / 2, -0.5, -0.6], rtol=1e-6)
    assert out['img'].dtype == np.float32
    cfg = out['img_norm_cfg']
    assert cfg['to_rgb'] is True and cfg['mean'].dtype == np.float32
    np.testing.assert_array_equal(cfg['std'], [2, 4, 5])
    out = Normalize(mean=[1, 2, 3], std=[2, 4, 5], to_rgb=False)(dict(img=img))
    np.testing.assert_allclose(out['img'][0, 0], [4.5, 4.5, 5.4], rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match='same length'):
        Normalize([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match='must not contain 0'):
        Normalize([1, 2, 3], [1, 0, 3])
    with pytest.raises(KeyError, match="Normalize needs the key 'img'"):
        Normalize([0] * 3, [1] * 3)({})
