import numpy as np
import pytest

from detkit.datasets.pipelines import LoadImageFromWebcam


def test_webcam():
    img = np.full((3, 5, 3), 7, np.uint8)
    out = LoadImageFromWebcam(to_float32=True)(dict(img=img))
    assert out['filename'] is None and out['ori_filename'] is None
    assert out['img'].dtype == np.float32 and out['img_shape'] == (3, 5, 3)
    assert out['ori_shape'] == (3, 5, 3) and out['img_fields'] == ['img']
    with pytest.raises(KeyError, match="LoadImageFromWebcam needs the key 'img'"):
        LoadImageFromWebcam()({})
    with pytest.raises(TypeError, match='ndarray'):
        LoadImageFromWebcam()(dict(img=[1, 2]))
