import numpy as np
import pytest
from _core_pipeline_data import make_results, mask_boxes

from detkit.datasets.pipelines import RandomShift


def _draws(seed, max_px):
    np.random.seed(seed)
    np.random.random()
    dx = np.random.randint(-max_px, max_px)
    dy = np.random.randint(-max_px, max_px)
    return dx, dy


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_shift_boxes_image_masks(kind):
    seed = next(s for s in range(5000) if _draws(s, 4) == (3, -2))  # right 3, up 2
    res = make_results(kind=kind, seg=False)
    img = res['img'].copy()
    np.random.seed(seed)
    out = RandomShift(shift_ratio=1.0, max_shift_px=4, filter_thr_px=1)(res)
    # [2,3,10,9] -> [5,1,13,7]; [15,5,28,18] -> [18,3,30 (clipped),16];
    # [0,0,4,2] -> [3,0,7,0]: height 0 -> dropped with its label and mask
    np.testing.assert_array_equal(out['gt_bboxes'], [[5, 1, 13, 7], [18, 3, 30, 16]])
    np.testing.assert_array_equal(out['gt_labels'], [1, 0])
    assert len(out['gt_masks']) == 2
    np.testing.assert_array_equal(mask_boxes(out['gt_masks']), out['gt_bboxes'])
    np.testing.assert_array_equal(out['img'][0:18, 3:30], img[2:20, 0:27])
    assert (out['img'][18:] == 0).all() and (out['img'][:, :3] == 0).all()


def test_no_shift_cases():
    res = make_results(seg=False)
    boxes, img = res['gt_bboxes'].copy(), res['img'].copy()
    out = RandomShift(shift_ratio=0.0)(res)
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)
    np.testing.assert_array_equal(out['img'], img)
    # a shift that leaves no box: the sample is kept unshifted
    seed = next(s for s in range(500) if _draws(s, 40)[0] >= 30)
    np.random.seed(seed)
    out = RandomShift(shift_ratio=1.0, max_shift_px=40)(make_results(seg=False))
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)
    np.testing.assert_array_equal(out['img'], img)


def test_args():
    with pytest.raises(ValueError, match='shift_ratio'):
        RandomShift(shift_ratio=2)
    with pytest.raises(ValueError, match='max_shift_px'):
        RandomShift(max_shift_px=-1)
    with pytest.raises(KeyError, match="RandomShift needs the key 'img'"):
        RandomShift(shift_ratio=1.0)({})
