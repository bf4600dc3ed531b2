"""detkit.evaluation.bbox_overlaps (numpy) against torchvision and by hand."""
import numpy as np
import pytest
import torch
from torchvision.ops import box_iou

from detkit.evaluation import bbox_overlaps


def test_iou_matches_torchvision_and_iof_by_hand():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (7, 2))
    a = np.hstack([xy, xy + rng.uniform(1, 30, (7, 2))]).astype(np.float32)
    xy = rng.uniform(0, 50, (5, 2))
    b = np.hstack([xy, xy + rng.uniform(1, 30, (5, 2))]).astype(np.float32)
    ref = box_iou(torch.from_numpy(a).double(), torch.from_numpy(b).double()).numpy()
    np.testing.assert_allclose(bbox_overlaps(a, b), ref, atol=1e-6)
    iof = bbox_overlaps(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 20, 10]]), mode='iof')
    assert iof[0, 0] == pytest.approx(0.5)
    legacy = bbox_overlaps(np.array([[0, 0, 9, 9]]), np.array([[0, 0, 9, 4]]),
                           use_legacy_coordinate=True)
    assert legacy[0, 0] == pytest.approx(0.5)
    assert bbox_overlaps(np.zeros((0, 4)), b).shape == (0, 5)
    with pytest.raises(ValueError, match="mode must be 'iou' or 'iof', but got 'giou'"):
        bbox_overlaps(a, b, mode='giou')
