import math

import pytest

from detkit.models.task_modules import build_prior_generator

SSD300 = dict(type='SSDAnchorGenerator', scale_major=False, input_size=300,
              basesize_ratio_range=(0.15, 0.9), strides=[8, 16, 32, 64, 100, 300],
              ratios=([2], [2, 3], [2, 3], [2, 3], [2], [2]))


def _box(cx, cy, w, h):
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def test_ssd300_sizes_and_anchors():
    gen = build_prior_generator(SSD300)
    assert gen.min_sizes == [21, 45, 99, 153, 207, 261]
    assert gen.max_sizes == [45, 99, 153, 207, 261, 315]
    assert gen.num_base_priors == [4, 6, 6, 6, 4, 4]
    # level 1 (stride 16, min 45, max 99), cell (row 2, col 3): centre (8 + 48, 8 + 32)
    cx, cy = 8 + 3 * 16, 8 + 2 * 16
    big = math.sqrt(45 * 99)
    want = [_box(cx, cy, 45, 45), _box(cx, cy, big, big),
            _box(cx, cy, 45 * math.sqrt(2), 45 / math.sqrt(2)),
            _box(cx, cy, 45 / math.sqrt(2), 45 * math.sqrt(2)),
            _box(cx, cy, 45 * math.sqrt(3), 45 / math.sqrt(3)),
            _box(cx, cy, 45 / math.sqrt(3), 45 * math.sqrt(3))]
    anchors = gen.grid_priors([(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)],
                              device='cpu')
    assert [a.shape[0] for a in anchors] == [5776, 2166, 600, 150, 36, 4]
    cell = 2 * 19 + 3
    got = anchors[1][cell * 6:(cell + 1) * 6]
    assert got.tolist() == [pytest.approx(w, abs=1e-3) for w in want]
    # the last level's single cell is centred in the 300 px image
    assert anchors[5][0].tolist() == pytest.approx(_box(150, 150, 261, 261), abs=1e-3)


def test_explicit_sizes_and_errors():
    gen = build_prior_generator(dict(type='SSDAnchorGenerator', strides=[16], ratios=[[2]],
                                     min_sizes=[10], max_sizes=[40], scale_major=False))
    assert gen.base_anchors[0][1].tolist() == pytest.approx(_box(8, 8, 20, 20))
    with pytest.raises(ValueError, match='one of'):
        build_prior_generator(dict(SSD300, input_size=320))
    with pytest.raises(ValueError, match='both min_sizes and max_sizes'):
        build_prior_generator(dict(type='SSDAnchorGenerator', strides=[16], ratios=[[2]],
                                   min_sizes=[10]))
