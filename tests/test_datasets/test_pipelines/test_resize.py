import cv2
import numpy as np
import pytest
from _core_pipeline_data import BOXES, make_results, mask_boxes

from detkit.datasets.pipelines import Resize
from detkit.registry import PIPELINES, build_from_cfg


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_keep_ratio_exact_factor(kind):
    # (h, w) = (20, 30) into (60, 45): min(60 / 30, 45 / 20) = 2 -> (40, 60)
    t = build_from_cfg(dict(type='Resize', img_scale=(60, 45), keep_ratio=True), PIPELINES)
    res = make_results(kind=kind)
    img = res['img'].copy()
    out = t(res)
    assert out['img'].shape == (40, 60, 3)
    assert out['img_shape'] == (40, 60, 3) and out['pad_shape'] == (40, 60, 3)
    np.testing.assert_array_equal(out['img'], cv2.resize(img, (60, 40)))
    assert out['scale_factor'].dtype == np.float32 and out['scale_factor'].shape == (4,)
    np.testing.assert_array_equal(out['scale_factor'], [2, 2, 2, 2])
    assert out['scale'] == (60, 45) and out['scale_idx'] == 0 and out['keep_ratio'] is True
    np.testing.assert_array_equal(out['gt_bboxes'], BOXES * 2)
    assert (out['gt_masks'].height, out['gt_masks'].width) == (40, 60)
    np.testing.assert_array_equal(mask_boxes(out['gt_masks']), out['gt_bboxes'])
    seg = make_results()['gt_semantic_seg']
    assert out['gt_semantic_seg'].shape == (40, 60)
    np.testing.assert_array_equal(out['gt_semantic_seg'][::2, ::2], seg)  # nearest


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_no_keep_ratio(kind):
    t = Resize(img_scale=(45, 20), keep_ratio=False)  # (w, h): x * 1.5, y * 1
    out = t(make_results(kind=kind))
    assert out['img'].shape == (20, 45, 3)
    np.testing.assert_allclose(out['scale_factor'], [1.5, 1, 1.5, 1])
    np.testing.assert_allclose(out['gt_bboxes'], [[3, 3, 15, 9], [22.5, 5, 42, 18], [0, 0, 6, 2]])
    assert (out['gt_masks'].height, out['gt_masks'].width) == (20, 45)
    # a 1.5x resize of pixel masks rounds box edges to whole pixels
    assert np.abs(mask_boxes(out['gt_masks']) - out['gt_bboxes']).max() <= 1
    assert out['gt_semantic_seg'].shape == (20, 45)


def test_rounding_of_scale_factor_and_clip():
    # (h, w) = (20, 30) by 1333/800 bound: factor min(1333 / 30, 800 / 20) = 40
    res = make_results(seg=False)
    res['gt_bboxes'] = np.array([[-5, 2, 40, 10]], np.float32)
    res['gt_labels'] = res['gt_labels'][:1]
    res['gt_masks'] = res['gt_masks'][[0]]
    out = Resize(img_scale=(29, 13), keep_ratio=True)(res)
    # factor min(29 / 30, 13 / 20) = 0.65 -> (w, h) = (int(19.5 + .5), 13) = (20, 13)
    assert out['img_shape'][:2] == (13, 20)
    np.testing.assert_allclose(out['scale_factor'], [20 / 30, 13 / 20, 20 / 30, 13 / 20])
    # clipped to the 20 x 13 image
    np.testing.assert_allclose(out['gt_bboxes'], [[0, 2 * 0.65, 20, 10 * 0.65]], rtol=1e-6)
    res2 = make_results(seg=False)
    res2['gt_bboxes'] = np.array([[-5, 2, 40, 10]], np.float32)
    out2 = Resize(img_scale=(29, 13), bbox_clip_border=False)(res2)
    np.testing.assert_allclose(out2['gt_bboxes'][0, [0, 2]], [-5 * 2 / 3, 40 * 2 / 3], rtol=1e-6)


def test_ratio_range_and_multiscale_sampling():
    np.random.seed(3)
    r = np.random.random_sample() * (1.5 - 0.5) + 0.5
    np.random.seed(3)
    out = Resize(img_scale=(60, 45), ratio_range=(0.5, 1.5))(make_results())
    assert out['scale'] == (int(60 * r), int(45 * r)) and out['scale_idx'] is None

    t = Resize(img_scale=[(40, 20), (60, 30)], multiscale_mode='range')
    for seed in range(5):
        np.random.seed(seed)
        s = t(make_results())['scale']
        assert 40 <= s[0] <= 60 and 20 <= s[1] <= 30
    t = Resize(img_scale=[(40, 20), (60, 30), (90, 45)], multiscale_mode='value')
    seen = set()
    for seed in range(20):
        np.random.seed(seed)
        out = t(make_results())
        assert out['scale'] == t.img_scale[out['scale_idx']]
        seen.add(out['scale_idx'])
    assert seen == {0, 1, 2}


def test_scale_from_results_and_override():
    # MultiScaleFlipAug(scale_factor=1.5) leaves a float scale_factor
    res = make_results()
    res['scale_factor'] = 1.5
    out = Resize(keep_ratio=True)(res)
    assert out['scale'] == (45, 30) and out['img'].shape == (30, 45, 3)
    np.testing.assert_allclose(out['scale_factor'], [1.5] * 4)
    # MultiScaleFlipAug(img_scale=...) leaves 'scale'
    res = make_results()
    res['scale'] = (90, 60)
    assert Resize()(res)['img'].shape == (60, 90, 3)
    # resizing twice needs override (DETR)
    res = Resize(img_scale=(60, 45))(make_results())
    with pytest.raises(KeyError, match='override=True'):
        Resize(img_scale=(30, 30))(res)
    out = Resize(img_scale=(120, 90), override=True)(res)
    assert out['img'].shape == (80, 120, 3)
    np.testing.assert_array_equal(out['gt_bboxes'], BOXES * 4)


def test_errors_and_repr():
    with pytest.raises(KeyError, match="Resize needs the key 'img'"):
        Resize(img_scale=(10, 10))({'im': 1})
    with pytest.raises(KeyError, match='no img_scale'):
        Resize()(make_results())
    with pytest.raises(ValueError, match="did you mean 'range'"):
        Resize(img_scale=(10, 10), multiscale_mode='rang')
    with pytest.raises(ValueError, match='exactly one img_scale'):
        Resize(img_scale=[(1, 2), (3, 4)], ratio_range=(0.5, 1.5))
    with pytest.raises(TypeError, match='img_scale'):
        Resize(img_scale=[[1, 2, 3]])
    # YAML / JSON configs give lists for tuples
    assert Resize(img_scale=[60, 45]).img_scale == [(60, 45)]
    assert Resize(img_scale=[[60, 45], [30, 20]]).img_scale == [(60, 45), (30, 20)]
    assert 'keep_ratio=True' in repr(Resize(img_scale=(1, 2)))
    out = Resize(img_scale=(60, 45), backend='pillow', interpolation='nearest')(make_results())
    assert out['img'].shape == (40, 60, 3)
