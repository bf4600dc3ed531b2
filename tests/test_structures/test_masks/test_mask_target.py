import numpy as np
import torch

from detkit.structures import PolygonMasks, mask_target


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
