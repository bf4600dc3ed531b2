import pytest
import torch

from detkit.models.losses import AssociativeEmbeddingLoss


def test_hand_values():
    tl = torch.zeros(1, 1, 4, 4)
    br = torch.zeros(1, 1, 4, 4)
    # object 0: corners embed 0.0 and 1.0 (mean 0.5); object 1: 2.0 and 2.0 (mean 2.0)
    tl[0, 0, 0, 0], br[0, 0, 1, 1] = 0.0, 1.0
    tl[0, 0, 2, 2], br[0, 0, 3, 3] = 2.0, 2.0
    match = [[[[0, 0], [1, 1]], [[2, 2], [3, 3]]]]
    pull, push = AssociativeEmbeddingLoss(pull_weight=1.0, push_weight=1.0)(tl, br, match)
    # pull: (0.25 + 0.25 + 0 + 0) / 2; push: |0.5 - 2| = 1.5 > margin -> 0
    assert pull.item() == pytest.approx(0.25)
    assert push.item() == pytest.approx(0.0)
    br[0, 0, 3, 3] = 0.6  # object 1 mean 1.3: push relu(1 - 0.8) twice over 2 * 1 pairs
    pull, push = AssociativeEmbeddingLoss(pull_weight=1.0, push_weight=1.0)(tl, br, match)
    assert push.item() == pytest.approx(0.2)
    assert pull.item() == pytest.approx((0.25 + 0.25 + 0.49 + 0.49) / 2)


def test_no_objects_and_weights():
    tl = torch.randn(2, 1, 3, 3, requires_grad=True)
    loss = AssociativeEmbeddingLoss()
    pull, push = loss(tl, tl.detach(), [[], [[[0, 0], [2, 2]]]])
    (pull + push).backward()
    assert push.item() == 0 and tl.grad is not None
