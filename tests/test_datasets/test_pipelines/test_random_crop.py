import numpy as np
import pytest
from _core_pipeline_data import make_results, mask_boxes

from detkit.datasets.pipelines import RandomCrop


def _seed_for(offset_h, offset_w, margin_h, margin_w):
    for s in range(20000):
        np.random.seed(s)
        if (np.random.randint(0, margin_h + 1), np.random.randint(0, margin_w + 1)) == \
                (offset_h, offset_w):
            return s
    raise AssertionError('no seed')


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_absolute_crop_boxes_masks_seg(kind):
    res = make_results(kind=kind)
    img, seg = res['img'].copy(), res['gt_semantic_seg'].copy()
    np.random.seed(_seed_for(2, 6, 10, 15))  # window x in [6, 21), y in [2, 12)
    out = RandomCrop(crop_size=(10, 15))(res)
    assert out['img_shape'] == (10, 15, 3)
    np.testing.assert_array_equal(out['img'], img[2:12, 6:21])
    np.testing.assert_array_equal(out['gt_semantic_seg'], seg[2:12, 6:21])
    # [2,3,10,9] -> [-4,1,4,7] -> [0,1,4,7]; [15,5,28,18] -> [9,3,22,16] -> [9,3,15,10];
    # [0,0,4,2] falls outside -> dropped with its label and mask
    np.testing.assert_array_equal(out['gt_bboxes'], [[0, 1, 4, 7], [9, 3, 15, 10]])
    np.testing.assert_array_equal(out['gt_labels'], [1, 0])
    assert len(out['gt_masks']) == 2
    assert (out['gt_masks'].height, out['gt_masks'].width) == (10, 15)
    np.testing.assert_array_equal(mask_boxes(out['gt_masks']), out['gt_bboxes'])


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_recompute_bbox_from_masks(kind):
    np.random.seed(_seed_for(2, 6, 10, 15))
    out = RandomCrop(crop_size=(10, 15), recompute_bbox=True,
                     bbox_clip_border=False)(make_results(kind=kind))
    # unclipped, the third box keeps a positive size and stays; its mask is empty
    np.testing.assert_array_equal(out['gt_bboxes'], [[0, 1, 4, 7], [9, 3, 15, 10], [0, 0, 0, 0]])
    np.random.seed(_seed_for(2, 6, 10, 15))
    out = RandomCrop(crop_size=(10, 15), bbox_clip_border=False)(make_results(kind=kind))
    np.testing.assert_array_equal(out['gt_bboxes'],
                                  [[-4, 1, 4, 7], [9, 3, 22, 16], [-6, -2, -2, 0]])


def test_negative_crops():
    boxes = np.array([[0, 0, 4, 2]], np.float32)
    np.random.seed(_seed_for(9, 14, 10, 15))  # window far from the box
    res = make_results(boxes=boxes, labels=np.array([5]))
    assert RandomCrop(crop_size=(10, 15))(res) is None
    np.random.seed(_seed_for(9, 14, 10, 15))
    res = make_results(boxes=boxes, labels=np.array([5]))
    out = RandomCrop(crop_size=(10, 15), allow_negative_crop=True)(res)
    assert out['gt_bboxes'].shape == (0, 4) and out['gt_labels'].shape == (0,)
    assert len(out['gt_masks']) == 0 and out['img'].shape == (10, 15, 3)


def test_crop_sizes():
    assert RandomCrop((50, 8))._get_crop_size((20, 30)) == (20, 8)  # larger than the image
    assert RandomCrop((0.5, 0.3), 'relative')._get_crop_size((20, 30)) == (10, 9)
    np.random.seed(0)
    r = np.random.rand(2)
    np.random.seed(0)
    h, w = RandomCrop((0.5, 0.2), 'relative_range')._get_crop_size((20, 30))
    size = np.float32([0.5, 0.2]) + r * (1 - np.float32([0.5, 0.2]))
    assert (h, w) == (int(20 * size[0] + 0.5), int(30 * size[1] + 0.5))
    np.random.seed(1)
    ch, cw = np.random.randint(5, 21), np.random.randint(5, 26)
    np.random.seed(1)
    assert RandomCrop((5, 25), 'absolute_range')._get_crop_size((20, 30)) == (ch, cw)
    # an image smaller than the crop is kept whole
    out = RandomCrop((100, 100))(make_results())
    assert out['img'].shape == (20, 30, 3) and len(out['gt_bboxes']) == 3


def test_args():
    with pytest.raises(ValueError, match="did you mean 'relative'"):
        RandomCrop((0.5, 0.5), crop_type='relativ')
    with pytest.raises(ValueError, match='positive int'):
        RandomCrop((0.5, 0.5))
    with pytest.raises(ValueError, match=r'in \(0, 1\]'):
        RandomCrop((2, 2), crop_type='relative')
    with pytest.raises(ValueError, match='min, max'):
        RandomCrop((9, 3), crop_type='absolute_range')
    with pytest.raises(KeyError, match="RandomCrop needs the key 'img'"):
        RandomCrop((2, 2))({})
