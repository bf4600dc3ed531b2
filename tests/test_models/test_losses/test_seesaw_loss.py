import pytest
import torch
import torch.nn.functional as F

from detkit.models.losses import SeesawLoss


def _seesaw_ref(logits, labels, cum, p, q, eps):
    """Brute force over samples and classes, float64."""
    out = []
    for i in range(logits.size(0)):
        y = labels[i].item()
        s = torch.softmax(logits[i], 0)
        z = logits[i].clone()
        for j in range(logits.size(1)):
            if j == y:
                continue
            m = 1.0
            if max(cum[j], 1) < max(cum[y], 1):  # a rarer negative is punished less
                m = (max(cum[j], 1) / max(cum[y], 1)) ** p
            c = 1.0
            ratio = s[j].item() / max(s[y].item(), eps)
            if ratio > 1:
                c = ratio ** q
            z[j] = z[j] + torch.log(torch.tensor(m * c, dtype=torch.float64))
        out.append(-torch.log_softmax(z, 0)[y])
    return torch.stack(out)


def test_matches_brute_force():
    torch.manual_seed(0)
    C = 3
    loss = SeesawLoss(num_classes=C, reduction='none', return_dict=True).double()
    loss.cum_samples[:] = torch.tensor([10., 2., 0., 5.], dtype=torch.float64)
    logits = torch.randn(5, C + 2, dtype=torch.float64)
    labels = torch.tensor([0, 1, 3, 2, 1])
    out = loss(logits, labels)
    cum = [10 + 1, 2 + 2, 0 + 1]  # counts include this batch
    pos = labels < C
    ref = _seesaw_ref(logits[pos, :C], labels[pos], cum, 0.8, 2.0, 1e-2)
    assert torch.allclose(out['loss_cls_classes'], ref)
    obj = F.cross_entropy(logits[:, C:], (labels == C).long(), reduction='none')
    assert torch.allclose(out['loss_cls_objectness'], obj)
    assert loss.cum_samples.tolist() == [11., 4., 1., 6.]


def test_activation_channels_accuracy():
    loss = SeesawLoss(num_classes=2)
    assert loss.get_cls_channels(2) == 4
    logits = torch.tensor([[2.0, 0.0, 1.0, 0.0]])
    scores = loss.get_activation(logits)
    fg = torch.sigmoid(torch.tensor(1.0))
    cls = torch.softmax(torch.tensor([2.0, 0.0]), 0)
    assert torch.allclose(scores, torch.cat([cls * fg, (1 - fg).view(1)]).view(1, 3))
    acc = loss.get_accuracy(logits, torch.tensor([0]))
    assert acc['acc_classes'].item() == 100 and acc['acc_objectness'].item() == 100
    with pytest.raises(ValueError, match='num_classes \\+ 2 = 4'):
        loss(torch.zeros(1, 3), torch.tensor([0]))


def test_gradcheck():
    # the compensation factor uses detached scores (a constant by design), so finite
    # differences only agree with q = 0; the mitigation factor is a constant anyway
    loss = SeesawLoss(num_classes=3, q=0.0, return_dict=False).double()
    loss.cum_samples[:] = torch.tensor([5., 1., 2., 0.], dtype=torch.float64)
    labels = torch.tensor([0, 1, 3, 2])
    logits = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)

    def fn(x):
        loss.cum_samples[:] = torch.tensor([5., 1., 2., 0.], dtype=torch.float64)
        return loss(x, labels)

    assert torch.autograd.gradcheck(fn, (logits,))
