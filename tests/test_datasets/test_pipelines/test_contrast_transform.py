import numpy as np

from detkit.datasets.pipelines.contrast_transform import ContrastTransform


def test_blend_with_mean_grey():
    img = np.zeros((1, 2, 3), np.uint8)
    img[0, 0], img[0, 1] = 100, 200  # grey levels 100 and 200 -> mean 150
    out = ContrastTransform(level=0, prob=1.0)(dict(img=img))['img']
    # 0.1 * img + 0.9 * 150
    np.testing.assert_array_equal(out[0, :, 0], [145, 155])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_high_contrast_is_clipped():
    img = np.zeros((1, 2, 3), np.uint8)
    img[0, 0], img[0, 1] = 0, 250  # mean 125; 1.9 * 250 - 0.9 * 125 > 255
    out = ContrastTransform(level=10, prob=1.0)(dict(img=img))['img']
    assert out[0, 1, 0] == 255 and out[0, 0, 0] == 0
