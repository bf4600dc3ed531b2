import math

import pytest
import torch
import torch.nn.functional as F
import torchvision

from detkit.ops import SigmoidFocalLoss, sigmoid_focal_loss


def focal64(x, target, gamma, alpha, weight=None):
    """Float64 element-wise focal loss from the definition (label C = background)."""
    out = torch.zeros(x.shape, dtype=torch.float64)
    for i, row in enumerate(x.double().tolist()):
        t = int(target[i])
        for c, v in enumerate(row):
            p = 1 / (1 + math.exp(-v))
            if c == t:
                loss = -alpha * (1 - p) ** gamma * math.log(p)
            else:
                loss = -(1 - alpha) * p**gamma * math.log(1 - p)
            if weight is not None and t < x.shape[1]:
                loss *= float(weight[t])
            out[i, c] = loss
    return out


def data(n=64, num_classes=5, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, num_classes, generator=g) * 3).to(dtype)
    target = torch.randint(0, num_classes + 1, (n,), generator=g)  # includes background
    return x, target


@pytest.mark.parametrize('gamma, alpha', [(2.0, 0.25), (1.5, 0.5), (0.0, 0.75)])
def test_matches_torchvision(gamma, alpha):
    x, target = data()
    onehot = F.one_hot(target, 6)[:, :5].float()
    ref = torchvision.ops.sigmoid_focal_loss(x, onehot, alpha=alpha, gamma=gamma, reduction='none')
    torch.testing.assert_close(
        sigmoid_focal_loss(x, target, gamma, alpha, reduction='none'), ref, rtol=1e-5, atol=1e-6
    )
    # mmcv's 'mean' divides by the number of samples.
    torch.testing.assert_close(
        sigmoid_focal_loss(x, target, gamma, alpha), ref.sum() / x.size(0), rtol=1e-5, atol=1e-6
    )
    torch.testing.assert_close(
        sigmoid_focal_loss(x, target, gamma, alpha, reduction='sum'),
        ref.sum(),
        rtol=1e-5,
        atol=1e-5,
    )


def test_gradient_matches_torchvision():
    x, target = data(seed=1)
    xa = x.clone().requires_grad_()
    xb = x.clone().requires_grad_()
    sigmoid_focal_loss(xa, target).backward()
    onehot = F.one_hot(target, 6)[:, :5].float()
    (torchvision.ops.sigmoid_focal_loss(xb, onehot, reduction='sum') / x.size(0)).backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-5, atol=1e-7)


def test_against_float64_definition_with_weight():
    x, target = data(n=20, seed=2, dtype=torch.float64)
    weight = torch.rand(5, dtype=torch.float64) + 0.5
    out = sigmoid_focal_loss(x, target, 2.0, 0.25, weight, 'none')
    torch.testing.assert_close(out, focal64(x, target, 2.0, 0.25, weight), rtol=1e-12, atol=1e-14)
    background = target == 5
    assert background.any()
    torch.testing.assert_close(out[background], focal64(x, target, 2.0, 0.25)[background])


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
@pytest.mark.parametrize('gamma', [2.0, 1.5])
def test_gradcheck(reduction, gamma):
    x, target = data(n=6, num_classes=3, seed=3, dtype=torch.float64)
    x.requires_grad_()
    weight = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda t: sigmoid_focal_loss(t, target, gamma, 0.25, weight, reduction), (x,)
    )


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_inputs(dtype):
    x, target = data(seed=4, dtype=dtype)
    out = sigmoid_focal_loss(x, target, reduction='none')
    assert out.dtype == dtype
    torch.testing.assert_close(
        out, sigmoid_focal_loss(x.float(), target, reduction='none').to(dtype), rtol=0, atol=0
    )
    xh = x.clone().requires_grad_()
    sigmoid_focal_loss(xh, target).backward()
    assert xh.grad.dtype == dtype and torch.isfinite(xh.grad).all()


def test_extreme_logits_and_noncontiguous():
    x = torch.tensor([[-200.0, 200.0, 0.0]])
    out = sigmoid_focal_loss(x, torch.tensor([1]), reduction='none')
    assert torch.isfinite(out).all()
    assert out[0, 1] == 0.0 and out[0, 0] == 0.0  # confident and right
    x, target = data(seed=5)
    wide = torch.zeros(64, 10)
    wide[:, ::2] = x
    torch.testing.assert_close(
        sigmoid_focal_loss(wide[:, ::2], target), sigmoid_focal_loss(x, target)
    )
    assert sigmoid_focal_loss(
        torch.zeros(0, 5), torch.zeros(0, dtype=torch.long), reduction='none'
    ).shape == (0, 5)


def test_module_and_compile():
    x, target = data(seed=6)
    m = SigmoidFocalLoss(2.0, 0.25)
    x.requires_grad_()
    compiled = torch.compile(lambda t: m(t, target), backend='aot_eager', fullgraph=True)
    out = compiled(x)
    torch.testing.assert_close(out, sigmoid_focal_loss(x, target))
    (g1,) = torch.autograd.grad(out, x)
    (g2,) = torch.autograd.grad(sigmoid_focal_loss(x, target), x)
    torch.testing.assert_close(g1, g2)


def test_bad_input():
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r'target must have shape \(n,\) with n = 4, got \(5,\)'):
        sigmoid_focal_loss(x, torch.zeros(5, dtype=torch.long))
    with pytest.raises(TypeError, match=r'target must be int64 class labels, got torch.float32'):
        sigmoid_focal_loss(x, torch.zeros(4))
    with pytest.raises(ValueError, match=r'weight must have shape \(C,\) with C = 3, got \(4,\)'):
        sigmoid_focal_loss(x, torch.zeros(4, dtype=torch.long), weight=torch.ones(4))
    with pytest.raises(RuntimeError, match=r'target\[2\] = 7 is not a class in \[0, 3\]'):
        sigmoid_focal_loss(x, torch.tensor([0, 1, 7, 3]))
