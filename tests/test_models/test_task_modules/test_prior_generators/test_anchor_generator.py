import math

import pytest
import torch

from detkit.models.task_modules import build_anchor_generator, build_prior_generator
from detkit.models.task_modules.prior_generators import (
    AnchorGenerator,
    LegacyAnchorGenerator,
    anchor_inside_flags,
    images_to_levels,
)

RETINA = dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
              ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32, 64, 128])


def _hand_anchor(base, scale, ratio, cx=0.0, cy=0.0):
    w = base * scale / math.sqrt(ratio)
    h = base * scale * math.sqrt(ratio)
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def test_retinanet_anchors_hand_computed():
    gen = build_prior_generator(RETINA)
    assert gen.num_base_priors == [9] * 5 and gen.num_levels == 5
    sizes = [(4, 6), (2, 3), (1, 2), (1, 1), (1, 1)]
    anchors = gen.grid_priors(sizes, device='cpu')
    scales = [4 * 2 ** (i / 3) for i in range(3)]
    for level, stride in ((0, 8), (2, 32)):
        h, w = sizes[level]
        assert anchors[level].shape == (h * w * 9, 4)
        # cell (row 1, col 1): anchors 9 * (1 * w + 1) ... + 8, shifted by one stride
        cell = 1 * w + 1 if h > 1 else 1
        row = cell // w
        col = cell % w
        for a, (ratio, scale) in enumerate([(r, s) for r in (0.5, 1.0, 2.0) for s in scales]):
            want = _hand_anchor(stride, scale, ratio)
            want = [want[0] + col * stride, want[1] + row * stride,
                    want[2] + col * stride, want[3] + row * stride]
            got = anchors[level][cell * 9 + a].tolist()
            assert got == pytest.approx(want, abs=1e-4), (level, a)
    # known value of MMDetection's first RetinaNet anchor: ratio 0.5, scale 4
    assert anchors[0][0].tolist() == pytest.approx([-22.6274, -11.3137, 22.6274, 11.3137],
                                                   abs=1e-4)


def test_scale_major_false_order_and_centers():
    gen = AnchorGenerator(strides=[16], ratios=[0.5, 2.0], scales=[1.0, 2.0],
                          scale_major=False, center_offset=0.5)
    base = gen.base_anchors[0]
    # ratio fastest within scale: (s1, r.5), (s1, r2), (s2, r.5), (s2, r2); centre (8, 8)
    for i, (s, r) in enumerate([(1, 0.5), (1, 2.0), (2, 0.5), (2, 2.0)]):
        assert base[i].tolist() == pytest.approx(_hand_anchor(16, s, r, 8, 8), abs=1e-4)
    gen = AnchorGenerator(strides=[(8, 4)], ratios=[1.0], scales=[1.0], base_sizes=[4],
                          centers=[(1.0, 2.0)])
    pri = gen.single_level_grid_priors((2, 2), 0, device='cpu')
    # strides are (w, h): x shifts 8, y shifts 4
    assert pri.tolist() == [[-1., 0, 3, 4], [7, 0, 11, 4], [-1, 4, 3, 8], [7, 4, 11, 8]]


def test_sparse_priors_match_grid():
    gen = build_prior_generator(RETINA)
    full = gen.single_level_grid_priors((3, 5), 1, device='cpu')
    idx = torch.tensor([0, 7, 44, 100, 134])
    assert torch.equal(gen.sparse_priors(idx, (3, 5), 1, device='cpu'), full[idx])


def test_valid_flags_and_inside_flags():
    gen = AnchorGenerator(strides=[16], ratios=[1.0], scales=[1.0], base_sizes=[8])
    flags = gen.valid_flags([(3, 4)], pad_shape=(33, 40, 3), device='cpu')[0]
    # valid cells: ceil(33 / 16) = 3 rows, ceil(40 / 16) = 3 cols of 4
    expect = torch.tensor([[1, 1, 1, 0]] * 3, dtype=torch.bool).view(-1)
    assert torch.equal(flags, expect)
    anchors = gen.grid_priors([(3, 4)], device='cpu')[0]
    inside = anchor_inside_flags(anchors, flags, (33, 40), allowed_border=0)
    # cell (r, c) holds [16c - 4, 16r - 4, 16c + 4, 16r + 4]: inside only for r = 1, c = 1, 2
    expect = torch.zeros(3, 4, dtype=torch.bool)
    expect[1, 1:3] = True
    assert torch.equal(inside, expect.view(-1))
    assert torch.equal(anchor_inside_flags(anchors, flags, (33, 40), -1), flags)


def test_images_to_levels():
    t = [torch.arange(5), torch.arange(5) + 10]
    lv = images_to_levels(t, [2, 3])
    assert lv[0].tolist() == [[0, 1], [10, 11]] and lv[1].shape == (2, 3)


def test_deprecated_aliases_and_errors():
    gen = build_prior_generator(RETINA)
    assert gen.num_base_anchors == gen.num_base_priors
    with pytest.warns(DeprecationWarning):
        old = gen.grid_anchors([(2, 2)] * 5, device='cpu')
    assert torch.equal(old[0], gen.grid_priors([(2, 2)] * 5, device='cpu')[0])
    with pytest.warns(DeprecationWarning):
        build_anchor_generator(RETINA)
    with pytest.raises(ValueError, match='either scales or octave_base_scale'):
        AnchorGenerator(strides=[8], ratios=[1.0], scales=[1.0], octave_base_scale=4,
                        scales_per_octave=3)
    with pytest.raises(ValueError, match='center_offset must be in'):
        AnchorGenerator(strides=[8], ratios=[1.0], scales=[1.0], center_offset=2)
    with pytest.raises(ValueError, match='5 levels, but got 2'):
        gen.grid_priors([(2, 2)] * 2, device='cpu')


def test_legacy_anchor_generator():
    gen = LegacyAnchorGenerator(strides=[16], ratios=[1.0, 0.5], scales=[8], center_offset=0.5)
    # centre 0.5 * 15 = 7.5; 128 px square: 7.5 -/+ 63.5 -> [-56, -56, 71, 71]
    assert gen.base_anchors[0][0].tolist() == [-56., -56., 71., 71.]
    # ratio 0.5: w = 128 sqrt 2 = 181.02 -> 7.5 -/+ 90.01 -> rounded
    assert gen.base_anchors[0][1].tolist() == [-83., -37., 98., 52.]


def test_values_mmdetection_tests_expect():
    gen = build_prior_generator(RETINA)
    # RetinaNet: level 2 base anchors (stride 32) and valid flags at 640 x 640
    lvl2 = [[-90.5097, -45.2548, 90.5097, 45.2548], [-114.0350, -57.0175, 114.0350, 57.0175],
            [-143.6751, -71.8376, 143.6751, 71.8376], [-64.0, -64.0, 64.0, 64.0],
            [-80.6349, -80.6349, 80.6349, 80.6349], [-101.5937, -101.5937, 101.5937, 101.5937],
            [-45.2548, -90.5097, 45.2548, 90.5097], [-57.0175, -114.0350, 57.0175, 114.0350],
            [-71.8376, -143.6751, 71.8376, 143.6751]]
    assert torch.allclose(gen.base_anchors[2], torch.tensor(lvl2), atol=1e-4)
    flags = gen.valid_flags([(80, 80), (40, 40), (20, 20), (10, 10), (5, 5)], (640, 640),
                            device='cpu')
    assert [int(f.sum()) for f in flags] == [57600, 14400, 3600, 900, 225]
    # a padded image: 800 x 1216 valid inside (100, 152) ... (7, 10) maps
    flags = gen.valid_flags([(100, 152), (50, 76), (25, 38), (13, 19), (7, 10)], (800, 1216),
                            device='cpu')
    assert [int(f.sum()) for f in flags] == [136800, 34200, 8550, 2223, 630]
    # non-square strides (w, h) = (10, 20)
    gen = AnchorGenerator([(10, 20)], [1.], [1.], [10])
    assert gen.grid_priors([(2, 2)], device='cpu')[0].tolist() == [
        [-5., -5., 5., 5.], [5., -5., 15., 5.], [-5., 15., 5., 25.], [5., 15., 15., 25.]]
