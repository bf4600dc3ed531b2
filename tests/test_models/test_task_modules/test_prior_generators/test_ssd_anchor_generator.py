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


def test_ssd300_base_anchors_match_mmdetection():
    # the base anchors MMDetection 2.x's own anchor test expects for SSD300
    import torch
    want = [
        [[-6.5000, -6.5000, 14.5000, 14.5000], [-11.3704, -11.3704, 19.3704, 19.3704],
         [-10.8492, -3.4246, 18.8492, 11.4246], [-3.4246, -10.8492, 11.4246, 18.8492]],
        [[-14.5000, -14.5000, 30.5000, 30.5000], [-25.3729, -25.3729, 41.3729, 41.3729],
         [-23.8198, -7.9099, 39.8198, 23.9099], [-7.9099, -23.8198, 23.9099, 39.8198],
         [-30.9711, -4.9904, 46.9711, 20.9904], [-4.9904, -30.9711, 20.9904, 46.9711]],
        [[-33.5000, -33.5000, 65.5000, 65.5000], [-45.5366, -45.5366, 77.5366, 77.5366],
         [-54.0036, -19.0018, 86.0036, 51.0018], [-19.0018, -54.0036, 51.0018, 86.0036],
         [-69.7365, -12.5788, 101.7365, 44.5788], [-12.5788, -69.7365, 44.5788, 101.7365]],
        [[-44.5000, -44.5000, 108.5000, 108.5000], [-56.9817, -56.9817, 120.9817, 120.9817],
         [-76.1873, -22.0937, 140.1873, 86.0937], [-22.0937, -76.1873, 86.0937, 140.1873],
         [-100.5019, -12.1673, 164.5019, 76.1673], [-12.1673, -100.5019, 76.1673, 164.5019]],
        [[-53.5000, -53.5000, 153.5000, 153.5000], [-66.2185, -66.2185, 166.2185, 166.2185],
         [-96.3711, -23.1855, 196.3711, 123.1855], [-23.1855, -96.3711, 123.1855, 196.3711]],
        [[19.5000, 19.5000, 280.5000, 280.5000], [6.6342, 6.6342, 293.3658, 293.3658],
         [-34.5549, 57.7226, 334.5549, 242.2774], [57.7226, -34.5549, 242.2774, 334.5549]],
    ]
    gen = build_prior_generator(SSD300)
    for level, base in enumerate(gen.base_anchors):
        assert torch.allclose(base, torch.tensor(want[level]), atol=1e-4), level
    sizes = [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
    flags = gen.valid_flags(sizes, (300, 300), device='cpu')
    assert [int(f.sum()) for f in flags] == [5776, 2166, 600, 150, 36, 4]
