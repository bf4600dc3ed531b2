import math

import pytest
import torch

from detkit.models.task_modules import build_bbox_coder

ROIS = torch.tensor([[0., 0., 10., 10.], [5., 5., 20., 30.], [2., 3., 4., 9.]])
GTS = torch.tensor([[1., 2., 9., 12.], [4., 6., 25., 28.], [2.5, 2., 5., 8.]])


def test_encode_hand_value_and_round_trip():
    coder = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder', target_means=(0., 0., 0., 0.),
                                  target_stds=(0.1, 0.1, 0.2, 0.2)))
    d = coder.encode(ROIS, GTS)
    # box 0: centre (5, 5) -> (5, 7), size 10x10 -> 8x10
    assert d[0].tolist() == pytest.approx([0.0, 0.2 / 0.1, math.log(0.8) / 0.2, 0.0], abs=1e-6)
    assert torch.allclose(coder.decode(ROIS, d), GTS, atol=1e-5)
    # batched decode equals per-image decode
    batch = coder.decode(ROIS[None].repeat(2, 1, 1), d[None].repeat(2, 1, 1))
    assert torch.allclose(batch[1], GTS, atol=1e-5)


def test_wh_ratio_clip_and_max_shape():
    coder = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder'))
    roi = torch.tensor([[0., 0., 10., 10.]])
    d = torch.tensor([[0., 0., 10., -10.]])
    out = coder.decode(roi, d)
    big = 10 * 1000 / 16  # dw clamped to ln(1000 / 16)
    small = 10 * 16 / 1000
    assert out[0].tolist() == pytest.approx([5 - big / 2, 5 - small / 2, 5 + big / 2,
                                             5 + small / 2], rel=1e-5)
    out = coder.decode(roi, d, max_shape=(8, 12, 3))
    assert out[0].tolist() == pytest.approx([0, 5 - small / 2, 12, 5 + small / 2], rel=1e-5)
    # a custom wh_ratio_clip
    out = coder.decode(roi, torch.tensor([[0., 0., 1., 0.]]), wh_ratio_clip=0.5)
    assert out[0, 2].item() == pytest.approx(5 + 10 * 2 / 2)
    # clip_border=False keeps boxes outside the image
    free = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder', clip_border=False))
    assert free.decode(roi, d, max_shape=(8, 12))[0, 0] < 0


def test_batched_max_shape_per_image():
    coder = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder'))
    rois = torch.tensor([[[0., 0., 30., 30.]], [[0., 0., 30., 30.]]])
    deltas = torch.zeros(2, 1, 4)
    out = coder.decode(rois, deltas, max_shape=[(10, 20), (25, 15)])
    assert out.tolist() == [[[0., 0., 20., 10.]], [[0., 0., 15., 25.]]]
    with pytest.raises(ValueError, match='per-image max_shape'):
        coder.decode(rois[0], deltas[0], max_shape=[(10, 20), (25, 15)])


def test_ctr_clamp_and_class_specific_deltas():
    coder = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder', add_ctr_clamp=True, ctr_clamp=32))
    roi = torch.tensor([[0., 0., 100., 100.]])
    out = coder.decode(roi, torch.tensor([[1.0, -1.0, -10.0, 0.]]))
    # centre shift 100 px clamped to 32; dw may shrink without the wh clamp
    assert out[0].tolist() == pytest.approx([82 - 50 * math.exp(-10), -32, 82 + 50 * math.exp(-10),
                                             68], rel=1e-5)
    plain = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder'))
    deltas = torch.tensor([[0., 0., 0., 0., 0.1, 0., 0., 0.]])  # 2 classes
    out = plain.decode(roi, deltas)
    assert out.shape == (1, 8)
    assert out[0, 4:].tolist() == pytest.approx([10, 0, 110, 100])


def test_empty_and_errors():
    coder = build_bbox_coder(dict(type='DeltaXYWHBBoxCoder'))
    assert coder.decode(torch.zeros(0, 4), torch.zeros(0, 4)).shape == (0, 4)
    assert coder.encode(torch.zeros(0, 4), torch.zeros(0, 4)).shape == (0, 4)
    with pytest.raises(ValueError, match='must both be'):
        coder.encode(ROIS, GTS[:2])


def test_mmdet_docstring_example():
    # the example of MMDetection's delta2bbox docstring
    from detkit.models.task_modules.coders import delta2bbox
    rois = torch.tensor([[0., 0., 1., 1.], [0., 0., 1., 1.], [0., 0., 1., 1.], [5., 5., 5., 5.]])
    deltas = torch.tensor([[0., 0., 0., 0.], [1., 1., 1., 1.], [0., 0., 2., -1.],
                           [0.7, -1.9, -0.5, 0.3]])
    out = delta2bbox(rois, deltas, max_shape=(32, 32, 3))
    want = torch.tensor([[0.0000, 0.0000, 1.0000, 1.0000], [0.1409, 0.1409, 2.8591, 2.8591],
                         [0.0000, 0.3161, 4.1945, 0.6839], [5.0000, 5.0000, 5.0000, 5.0000]])
    assert torch.allclose(out, want, atol=1e-4)
