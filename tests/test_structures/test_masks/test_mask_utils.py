import numpy as np
import pycocotools.mask as mask_util
import torch

from detkit.structures import encode_mask_results, mask2bbox, split_combined_polys


def test_encode_mask_results_roundtrip():
    m1 = np.zeros((4, 5), bool)
    m1[1:3, 2:4] = True
    m2 = np.zeros((4, 5), bool)
    m2[0, 0] = True
    enc = encode_mask_results([[m1, m2], []])
    assert len(enc) == 2 and len(enc[0]) == 2 and enc[1] == []
    np.testing.assert_array_equal(mask_util.decode(enc[0][0]), m1)
    np.testing.assert_array_equal(mask_util.decode(enc[0][1]), m2)
    assert mask_util.area(enc[0][0]) == 4
    enc, scores = encode_mask_results(([[m1]], [[0.5]]))
    assert scores == [[0.5]] and mask_util.area(enc[0][0]) == 4


def test_mask2bbox():
    m = torch.zeros((3, 4, 6), dtype=torch.bool)
    m[0, 1:3, 2:5] = True
    m[1, 3, 0] = True
    assert mask2bbox(m).tolist() == [[2, 1, 5, 3], [0, 3, 1, 4], [0, 0, 0, 0]]
    assert mask2bbox(m[:0]).shape == (0, 4)


def test_split_combined_polys():
    polys = [torch.arange(14.)]
    out = split_combined_polys(polys, [torch.tensor([6, 8])], [torch.tensor([1, 1])])
    assert len(out) == 1 and len(out[0]) == 2
    assert out[0][0][0].tolist() == list(range(6)) and out[0][1][0].tolist() == list(range(6, 14))
