import numpy as np
import pytest
from _core_pipeline_data import make_results, mask_boxes

from detkit.datasets.pipelines import RandomFlip

# H = 20, W = 30; boxes [2, 3, 10, 9], [15, 5, 28, 18], [0, 0, 4, 2]
EXPECTED = {
    'horizontal': [[20, 3, 28, 9], [2, 5, 15, 18], [26, 0, 30, 2]],
    'vertical': [[2, 11, 10, 17], [15, 2, 28, 15], [0, 18, 4, 20]],
    'diagonal': [[20, 11, 28, 17], [2, 2, 15, 15], [26, 18, 30, 20]],
}


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
@pytest.mark.parametrize('direction', ['horizontal', 'vertical', 'diagonal'])
def test_flip_every_field(direction, kind):
    res = make_results(kind=kind)
    img, seg = res['img'].copy(), res['gt_semantic_seg'].copy()
    out = RandomFlip(flip_ratio=1.0, direction=direction)(res)
    assert out['flip'] is True and out['flip_direction'] == direction
    np.testing.assert_array_equal(out['gt_bboxes'], EXPECTED[direction])
    np.testing.assert_array_equal(mask_boxes(out['gt_masks']), out['gt_bboxes'])
    axes = {'horizontal': (1,), 'vertical': (0,), 'diagonal': (0, 1)}[direction]
    np.testing.assert_array_equal(out['img'], np.flip(img, axes))
    np.testing.assert_array_equal(out['gt_semantic_seg'], np.flip(seg, axes))
    # the image's pixel (y, x) moves where the box corner moves
    if direction == 'horizontal':
        assert (out['img'][0, 29] == img[0, 0]).all()


def test_no_flip_and_given_flag():
    res = make_results()
    boxes = res['gt_bboxes'].copy()
    out = RandomFlip(flip_ratio=0.0)(res)
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)
    # MultiScaleFlipAug sets flip / flip_direction; flip_ratio=None then is fine
    res = make_results()
    res.update(flip=True, flip_direction='vertical')
    out = RandomFlip()(res)
    np.testing.assert_array_equal(out['gt_bboxes'], EXPECTED['vertical'])
    with pytest.raises(KeyError, match='flip_ratio=None'):
        RandomFlip()(make_results())


def test_ratio_modes():
    # list of ratios: probability 1 for 'vertical'
    out = RandomFlip(flip_ratio=[0.0, 1.0], direction=['horizontal', 'vertical'])(make_results())
    assert out['flip_direction'] == 'vertical'
    # float ratio split over a list of directions, replayed from the same seed
    t = RandomFlip(flip_ratio=0.9, direction=['horizontal', 'vertical', 'diagonal'])
    counts = {}
    for seed in range(300):
        np.random.seed(seed)
        d = t(make_results(seg=False))['flip_direction']
        np.random.seed(seed)
        expect = [*t.direction, None][np.random.choice(4, p=[0.3, 0.3, 0.3, 0.1])]
        assert d == expect
        counts[d] = counts.get(d, 0) + 1
    assert set(counts) == {'horizontal', 'vertical', 'diagonal', None}
    assert 60 < counts['horizontal'] < 120 and counts[None] < 60


def test_errors():
    with pytest.raises(ValueError, match="did you mean 'vertical'"):
        RandomFlip(0.5, direction='verticle')
    with pytest.raises(ValueError, match='same length'):
        RandomFlip([0.5], direction=['horizontal', 'vertical'])
    with pytest.raises(ValueError, match='sum to at most 1'):
        RandomFlip([0.6, 0.6], direction=['horizontal', 'vertical'])
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        RandomFlip(1.5)
    with pytest.raises(TypeError):
        RandomFlip('0.5')
    assert 'flip_ratio=0.5' in repr(RandomFlip(0.5))


def test_listed_field_missing():
    res = make_results(seg=False)
    del res['gt_bboxes']
    with pytest.raises(KeyError, match="RandomFlip: results\\['bbox_fields'\\] lists 'gt_bboxes'"):
        RandomFlip(flip_ratio=1.0)(res)
