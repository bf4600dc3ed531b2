import pytest
import torch
import torch.nn.functional as F

from detkit.models.losses import GHMC, GHMR


def _ref_weights(g, valid, edges, tot):
    """Brute force: loop over bins, float64."""
    w = torch.zeros_like(g, dtype=torch.float64)
    n = 0
    for i in range(len(edges) - 1):
        inds = (g >= edges[i]) & (g < edges[i + 1]) & valid
        if inds.sum() > 0:
            w[inds] = tot / inds.sum().item()
            n += 1
    return w / n if n else w


def test_ghmc_matches_brute_force():
    torch.manual_seed(0)
    pred = torch.randn(6, 3, dtype=torch.float64)
    labels = torch.tensor([0, 1, 3, 2, 3, 1])
    lw = torch.tensor([1., 1, 1, 0, 1, 1], dtype=torch.float64)
    loss = GHMC(bins=4)
    out = loss(pred, labels, lw)
    target = F.one_hot(labels, 4)[:, :3].double()
    lw2 = lw[:, None].expand(6, 3)
    g = (pred.sigmoid() - target).abs()
    edges = torch.arange(5, dtype=torch.float64) / 4
    edges[-1] += 1e-6
    tot = (lw2 > 0).sum().item()
    w = _ref_weights(g, lw2 > 0, edges, tot)
    ref = (F.binary_cross_entropy_with_logits(pred, target, reduction='none') * w).sum() / tot
    assert out.item() == pytest.approx(ref.item(), rel=1e-6)


def test_ghmc_momentum_updates_acc_sum():
    loss = GHMC(bins=2, momentum=0.5)
    pred = torch.tensor([[0.0], [10.0]])  # g = 0.5 and ~1 -> bin 1 twice
    target = torch.tensor([[0.0], [0.0]])
    loss(pred, target, torch.ones(2, 1))
    assert loss.acc_sum.tolist() == pytest.approx([0.0, 1.0])
    assert set(dict(loss.state_dict())) == {'edges', 'acc_sum'}


def test_ghmr_matches_brute_force():
    torch.manual_seed(1)
    pred = torch.randn(5, 4, dtype=torch.float64)
    target = torch.randn(5, 4, dtype=torch.float64)
    lw = torch.ones(5, 4, dtype=torch.float64)
    lw[2] = 0
    out = GHMR(mu=0.02, bins=10)(pred, target, lw)
    d = pred - target
    g = (d / torch.sqrt(0.02 ** 2 + d * d)).abs()
    edges = torch.arange(11, dtype=torch.float64) / 10
    edges[-1] = 1e3
    tot = lw.sum().item()
    w = _ref_weights(g, lw > 0, edges, tot)
    ref = ((torch.sqrt(d * d + 0.02 ** 2) - 0.02) * w).sum() / tot
    assert out.item() == pytest.approx(ref.item(), rel=1e-6)


def test_gradcheck():
    pred = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[1., 0], [0, 0], [0, 1]], dtype=torch.float64)
    lw = torch.ones(3, 2, dtype=torch.float64)
    # the GHM weights depend on the detached gradient norm only
    assert torch.autograd.gradcheck(lambda x: GHMC(bins=30)(x, target, lw), (pred,),
                                    eps=1e-6, atol=1e-6)
