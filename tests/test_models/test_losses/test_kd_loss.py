import pytest
import torch

from detkit.models.losses import KnowledgeDistillationKLDivLoss


def test_brute_force():
    torch.manual_seed(0)
    pred = torch.randn(3, 4, dtype=torch.float64)
    soft = torch.randn(3, 4, dtype=torch.float64)
    T = 2.0
    p = torch.softmax(soft / T, 1)
    q = torch.softmax(pred / T, 1)
    ref = (p * (p.log() - q.log())).mean(1) * T * T
    out = KnowledgeDistillationKLDivLoss(T=T, reduction='none')(pred, soft)
    assert torch.allclose(out, ref)
    with pytest.raises(ValueError, match='T must be >= 1'):
        KnowledgeDistillationKLDivLoss(T=0.5)


def test_gradcheck():
    pred = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    soft = torch.randn(2, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: KnowledgeDistillationKLDivLoss(T=3)(x, soft), (pred,))
