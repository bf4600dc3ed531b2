import pytest
import torch

from detkit.models.losses import Accuracy, accuracy


def test_topk_and_thresh():
    pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.3, 0.25, 0.45], [0.2, 0.5, 0.3]])
    target = torch.tensor([1, 2, 0, 0])
    top1, top2 = accuracy(pred, target, topk=(1, 2))
    assert top1.item() == pytest.approx(25.0)
    assert top2.item() == pytest.approx(75.0)  # rows 0, 1, 2; row 3 has 0 last
    assert accuracy(pred, target, thresh=0.8).item() == 0
    assert Accuracy(topk=(1,))(pred, target)[0].item() == pytest.approx(25.0)
    assert accuracy(pred[:0], target[:0]).item() == 0
    with pytest.raises(ValueError, match='top-4 needs at least 4 classes'):
        accuracy(pred, target, topk=4)
