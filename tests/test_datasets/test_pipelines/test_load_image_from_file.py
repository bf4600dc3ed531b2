import cv2
import numpy as np
import pytest

from detkit.datasets.pipelines import LoadImageFromFile


@pytest.fixture
def bgr_file(tmp_path):
    img = np.zeros((4, 6, 3), np.uint8)
    img[..., 0] = 200  # blue in BGR
    img[1, 2] = (10, 20, 30)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    return tmp_path, img


def test_load_color_bgr(bgr_file):
    root, img = bgr_file
    out = LoadImageFromFile()(dict(img_prefix=str(root), img_info=dict(filename='a.png')))
    assert out['filename'] == str(root / 'a.png') and out['ori_filename'] == 'a.png'
    np.testing.assert_array_equal(out['img'], img)
    assert out['img'].dtype == np.uint8
    assert out['img_shape'] == (4, 6, 3) and out['ori_shape'] == (4, 6, 3)
    assert out['img_fields'] == ['img']


def test_options(bgr_file):
    root, img = bgr_file
    rec = dict(img_prefix=None, img_info=dict(filename=str(root / 'a.png')))
    out = LoadImageFromFile(to_float32=True, channel_order='rgb')(dict(rec))
    assert out['img'].dtype == np.float32 and out['img'][1, 2].tolist() == [30, 20, 10]
    assert out['filename'] == str(root / 'a.png')
    gray = LoadImageFromFile(color_type='grayscale')(dict(rec))['img']
    assert gray.shape == (4, 6)
    np.testing.assert_array_equal(gray, cv2.imread(str(root / 'a.png'), cv2.IMREAD_GRAYSCALE))
    out = LoadImageFromFile(file_client_args=dict(backend='disk'))(dict(rec))
    assert out['img'].shape == (4, 6, 3)


def test_errors(bgr_file, tmp_path):
    root, _ = bgr_file
    with pytest.raises(KeyError, match="LoadImageFromFile needs the key 'img_info'"):
        LoadImageFromFile()(dict(img_prefix=None))
    with pytest.raises(KeyError, match="img_info\\['filename'\\]"):
        LoadImageFromFile()(dict(img_prefix=None, img_info=dict(file='a.png')))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        LoadImageFromFile()(dict(img_prefix=str(root), img_info=dict(filename='missing.png')))
    (tmp_path / 'bad.png').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='bad.png'):
        LoadImageFromFile()(dict(img_prefix=str(tmp_path), img_info=dict(filename='bad.png')))
    with pytest.raises(ValueError, match="did you mean 'color'"):
        LoadImageFromFile(color_type='colour')
    with pytest.raises(ValueError, match='local files only'):
        LoadImageFromFile(file_client_args=dict(backend='petrel'))
