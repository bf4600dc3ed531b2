import numpy as np
import pytest

from detkit.datasets.pipelines import ImageToTensor


def test_image_to_tensor():
    img = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    out = ImageToTensor(keys=['img', 'gray'])(dict(img=img, gray=np.ones((2, 4), np.float32)))
    t = out['img']
    assert t.shape == (3, 2, 4) and t.is_contiguous() and str(t.dtype) == 'torch.uint8'
    assert t[2, 1, 3] == img[1, 3, 2]
    assert out['gray'].shape == (1, 2, 4)
    with pytest.raises(KeyError, match="ImageToTensor needs the key 'img'"):
        ImageToTensor(keys=['img'])({})
