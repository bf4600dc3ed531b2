import numpy as np
import pytest

from detkit.structures.image_io import imfrombytes, imread
from detkit.structures.image_ops import (
    imflip,
    imnormalize,
    impad,
    impad_to_multiple,
    imrescale,
    imresize,
    imrotate,
    imshear,
    imtranslate,
    rescale_size,
)


def test_rescale_size_and_imrescale():
    # (w, h) = (400, 200) into (long 1333, short 800): min(1333/400, 800/200) = 3.3325
    assert rescale_size((400, 200), (1333, 800)) == (1333, 667)
    assert rescale_size((400, 200), (800, 1333), return_scale=True) == ((1333, 667), 3.3325)
    assert rescale_size((10, 5), 1.5) == (15, 8)  # 7.5 rounds half up
    img = np.zeros((20, 40, 3), np.uint8)
    out, s = imrescale(img, (100, 30), return_scale=True)
    assert out.shape == (30, 60, 3) and s == 1.5


def test_imresize_nearest_values_and_channels():
    img = np.arange(4, dtype=np.uint8).reshape(2, 2)
    out, ws, hs = imresize(img, (4, 2), return_scale=True, interpolation='nearest')
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [2, 2, 3, 3]])
    assert (ws, hs) == (2.0, 1.0)
    assert imresize(np.zeros((5, 6, 1), np.uint8), (3, 2)).shape == (2, 3, 1)
    pil = imresize(np.full((4, 4, 3), 7, np.uint8), (2, 2), backend='pillow')
    assert pil.shape == (2, 2, 3) and (pil == 7).all()
    with pytest.raises(ValueError, match="did you mean 'bilinear'"):
        imresize(img, (2, 2), interpolation='bilinaer')


def test_imflip_impad():
    img = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(imflip(img, 'horizontal'), [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(imflip(img, 'vertical'), [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(imflip(img, 'diagonal'), [[5, 4, 3], [2, 1, 0]])
    p = impad(img, shape=(3, 4), pad_val=9)
    np.testing.assert_array_equal(p, [[0, 1, 2, 9], [3, 4, 5, 9], [9, 9, 9, 9]])
    c = impad(np.zeros((1, 1, 2), np.uint8), padding=(1, 0, 0, 1), pad_val=(5, 6))
    assert c.shape == (2, 2, 2)
    np.testing.assert_array_equal(c[..., 0], [[5, 0], [5, 5]])
    np.testing.assert_array_equal(c[..., 1], [[6, 0], [6, 6]])
    assert impad_to_multiple(np.zeros((33, 64, 3)), 32).shape == (64, 64, 3)
    with pytest.raises(ValueError, match='smaller shape'):
        impad(img, shape=(1, 1))


def test_imtranslate_imshear_imrotate():
    img = np.zeros((4, 5), np.uint8)
    img[1, 1] = 1
    t = imtranslate(img, 2, 'horizontal', interpolation='nearest')
    assert np.argwhere(t).tolist() == [[1, 3]]
    t = imtranslate(img, -1, 'vertical', interpolation='nearest')
    assert np.argwhere(t).tolist() == [[0, 1]]
    s = imshear(img, 1.0, 'horizontal', interpolation='nearest')  # x' = x + y
    assert np.argwhere(s).tolist() == [[1, 2]]
    sq = np.zeros((3, 3), np.uint8)
    sq[0, 1] = 1  # top middle; clockwise 90 about the centre -> middle right
    assert np.argwhere(imrotate(sq, 90, interpolation='nearest')).tolist() == [[1, 2]]
    many = np.zeros((4, 5, 6), np.uint8)
    many[1, 1] = 1
    out = imtranslate(many, 2, border_value=tuple(range(6)), interpolation='nearest')
    assert out.shape == (4, 5, 6) and out[1, 3].tolist() == [1] * 6
    assert out[0, 0].tolist() == list(range(6))


def test_imnormalize_and_decode(tmp_path):
    import cv2
    img = np.array([[[10, 20, 30]]], np.uint8)  # BGR
    out = imnormalize(img, [1, 2, 3], [2, 2, 2], to_rgb=True)
    np.testing.assert_allclose(out, [[[14.5, 9., 3.5]]])
    assert out.dtype == np.float32
    bgr = np.zeros((2, 3, 3), np.uint8)
    bgr[..., 0] = 255  # blue
    path = tmp_path / 'a.png'
    cv2.imwrite(str(path), bgr)
    np.testing.assert_array_equal(imread(str(path)), bgr)
    np.testing.assert_array_equal(imread(str(path), channel_order='rgb')[..., 2], 255)
    assert imfrombytes(path.read_bytes(), 'grayscale').shape == (2, 3)
    with pytest.raises(FileNotFoundError, match='nope.png'):
        imread(str(tmp_path / 'nope.png'))
    with pytest.raises(ValueError, match='local files only'):
        imread(str(path), file_client_args=dict(backend='petrel'))


def test_denormalize_color_and_more_padding():
    from detkit.structures.image_ops import bgr2rgb, imdenormalize, rgb2bgr
    img = np.random.RandomState(0).randint(0, 255, (3, 4, 3)).astype(np.uint8)
    norm = imnormalize(img, [10, 20, 30], [2, 3, 4], to_rgb=True)
    np.testing.assert_allclose(imdenormalize(norm, [10, 20, 30], [2, 3, 4], to_bgr=True), img,
                               atol=1e-4)
    np.testing.assert_array_equal(bgr2rgb(img), img[..., ::-1])
    np.testing.assert_array_equal(rgb2bgr(bgr2rgb(img)), img)
    e = impad(np.array([[1, 2]]), padding=(1, 1), padding_mode='edge')
    np.testing.assert_array_equal(e, [[1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2]])
    r = imrotate(np.ones((10, 20), np.uint8), 90, auto_bound=True, interpolation='nearest')
    assert r.shape == (20, 10) and r.all()
    with pytest.raises(ValueError, match='auto_bound'):
        imrotate(img, 30, center=(1, 1), auto_bound=True)
