import numpy as np
import torch

from detkit.structures import BitmapMasks, PolygonMasks, mask_target


def _square(x1, y1, x2, y2):
    return [np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float64)]


def test_polygon_targets_hand_computed():
    gt0 = PolygonMasks([_square(0, 0, 4, 4), _square(4, 0, 8, 8)], 8, 8)
    gt1 = PolygonMasks([_square(2, 2, 6, 6)], 8, 8)
    props = [torch.tensor([[0., 0., 8., 8.], [4., 0., 12., 8.]]), torch.tensor([[2., 2., 6., 6.]])]
    inds = [torch.tensor([0, 1]), torch.tensor([0])]
    t = mask_target(props, inds, [gt0, gt1], dict(mask_size=4))
    assert t.shape == (3, 4, 4) and t.dtype == torch.float32
    # mask 0 covers the top-left quarter of proposal 0
    assert t[0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0] * 4, [0] * 4]
    # proposal 1 reaches past the image: clipped to [4, 8] first, mask 1 fills it
    assert t[1].sum() == 16
    assert t[2].sum() == 16


def test_empty_and_sizes():
    gt = PolygonMasks([_square(0, 0, 4, 4)], 8, 8)
    t = mask_target([torch.zeros((0, 4))], [torch.zeros((0,), dtype=torch.long)], [gt],
                    dict(mask_size=(3, 5)))
    assert t.shape == (0, 3, 5)
    t = mask_target([torch.tensor([[0., 0., 4., 4.]])], [torch.tensor([0])], [gt],
                    dict(mask_size=(3, 5)))
    assert t.shape == (1, 3, 5) and t.sum() == 15
    assert mask_target([], [], [], dict(mask_size=2)) == []


def test_bitmap_targets_match_polygon_targets_and_soft():
    gt = PolygonMasks([_square(1, 1, 7, 5), _square(3, 2, 8, 8)], 8, 8)
    props = [torch.tensor([[0., 0., 8., 8.], [2.5, 1.5, 7.5, 7.], [1., 1., 7., 5.]])]
    inds = [torch.tensor([0, 1, 0])]
    tp = mask_target(props, inds, [gt], dict(mask_size=(6, 6)))
    tb = mask_target(props, inds, [gt.to_bitmap()], dict(mask_size=(6, 6)))
    assert tb.shape == (3, 6, 6) and tb.dtype == torch.float32
    # RoIAlign of the bitmap and rasterising the scaled polygon agree on these squares
    assert torch.equal(tp, tb)
    assert tb[2].all()  # the gt's own box is all foreground
    soft = mask_target(props, inds, [gt.to_bitmap()], dict(mask_size=(6, 6),
                                                           soft_mask_target=True))
    assert ((soft > 0) & (soft < 1)).any() and torch.equal(soft >= 0.5, tb.bool())
    # MMDetection's docstring example: float masks, 5 targets
    rng = np.random.RandomState(0)
    t = mask_target([torch.tensor([[7.2425, 5.5929, 13.9414, 14.9541],
                                   [7.3241, 3.6170, 16.3850, 15.3102]]),
                     torch.tensor([[4.8448, 6.4010, 7.0314, 9.7681],
                                   [5.9790, 2.6989, 7.4416, 4.8580],
                                   [0.0000, 0.0000, 0.1398, 9.8232]])],
                    [torch.LongTensor([7, 0]), torch.LongTensor([5, 4, 1])],
                    [BitmapMasks(rng.rand(8, 17, 18), 17, 18),
                     BitmapMasks(rng.rand(6, 17, 18), 17, 18)], dict(mask_size=(13, 14)))
    assert t.shape == (5, 13, 14)
