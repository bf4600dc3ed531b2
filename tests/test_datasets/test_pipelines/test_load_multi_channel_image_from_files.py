import cv2
import numpy as np
import pytest

from detkit.datasets.pipelines import LoadMultiChannelImageFromFiles


def test_stack_channels(tmp_path):
    chans = [np.full((4, 5), v, np.uint8) for v in (3, 60, 200)]
    for i, c in enumerate(chans):
        cv2.imwrite(str(tmp_path / f'c{i}.png'), c)
    names = ['c0.png', 'c1.png', 'c2.png']
    out = LoadMultiChannelImageFromFiles()(dict(img_prefix=str(tmp_path),
                                                img_info=dict(filename=names)))
    assert out['img'].shape == (4, 5, 3) and out['img'][0, 0].tolist() == [3, 60, 200]
    assert out['filename'] == [str(tmp_path / n) for n in names]
    assert out['ori_filename'] == names and out['pad_shape'] == (4, 5, 3)
    np.testing.assert_array_equal(out['scale_factor'], [1, 1, 1, 1])
    np.testing.assert_array_equal(out['img_norm_cfg']['mean'], [0, 0, 0])
    np.testing.assert_array_equal(out['img_norm_cfg']['std'], [1, 1, 1])
    assert out['img_norm_cfg']['to_rgb'] is False
    with pytest.raises(TypeError, match='one per channel'):
        LoadMultiChannelImageFromFiles()(dict(img_prefix=None, img_info=dict(filename='a')))
    cv2.imwrite(str(tmp_path / 'small.png'), np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match='different shapes'):
        LoadMultiChannelImageFromFiles()(dict(img_prefix=str(tmp_path),
                                              img_info=dict(filename=['c0.png', 'small.png'])))
