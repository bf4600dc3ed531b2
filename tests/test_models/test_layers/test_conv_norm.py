"""conv_norm / ConvNormSequential: an eval-mode BatchNorm folded into the conv gives
norm(conv(x)) and the same gradients; anything else runs the modules unchanged."""
import pytest
import torch
import torch.nn as nn

from detkit.models.backbones import ResNet
from detkit.models.layers.conv_norm import ConvNormSequential, can_fold, conv_norm
from detkit.models.layers.conv_ws import ConvWS2d


def _pair(conv_kw, affine=True, dtype=torch.float64):
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 6, **conv_kw).to(dtype)
    norm = nn.BatchNorm2d(6, affine=affine).to(dtype)
    norm.running_mean.uniform_(-1, 1)
    norm.running_var.uniform_(0.2, 3)
    if affine:
        nn.init.uniform_(norm.weight, -2, 2)
        nn.init.uniform_(norm.bias, -1, 1)
    return conv, norm.eval()


@pytest.mark.parametrize('conv_kw,affine', [
    (dict(kernel_size=3, padding=1, bias=False), True),
    (dict(kernel_size=3, stride=2, padding=2, dilation=2, bias=True), True),
    (dict(kernel_size=1, groups=2, bias=False), False),
])
def test_folded_equals_conv_then_norm_with_same_gradients(conv_kw, affine):
    conv, norm = _pair(conv_kw, affine)
    assert can_fold(conv, norm)
    x = torch.randn(2, 4, 9, 11, dtype=torch.float64, requires_grad=True)
    params = [x] + list(conv.parameters()) + list(norm.parameters())

    ref = norm(conv(x))
    g = torch.randn_like(ref)
    ref_grads = torch.autograd.grad(ref, params, g)
    out = conv_norm(x, conv, norm)
    grads = torch.autograd.grad(out, params, g)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    # running statistics are read, never updated, in eval mode
    assert norm.num_batches_tracked.item() == 0


def test_gradcheck_of_folded_path():
    conv, norm = _pair(dict(kernel_size=3, padding=1, bias=False))
    x = torch.randn(1, 4, 5, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w, a, b: conv_norm(x, conv, norm), (x, conv.weight, norm.weight, norm.bias))


def test_not_folded_when_bn_trains_or_layers_differ():
    conv, norm = _pair(dict(kernel_size=3, padding=1))
    x = torch.randn(2, 4, 6, 6, dtype=torch.float64)
    norm.train()  # batch statistics: cannot fold, and the running stats must update
    assert not can_fold(conv, norm)
    before = norm.running_mean.clone()
    torch.testing.assert_close(conv_norm(x, conv, norm), nn.BatchNorm2d.forward(
        _copy_bn(norm, before), conv(x)), rtol=0, atol=0)
    assert not torch.equal(norm.running_mean, before)
    norm.eval()
    assert not can_fold(ConvWS2d(4, 6, 3).double(), norm)  # weight standardisation
    assert not can_fold(nn.Conv2d(4, 6, 3, padding_mode='reflect'), norm)
    assert not can_fold(conv, nn.GroupNorm(2, 6))
    assert not can_fold(conv, nn.BatchNorm2d(6, track_running_stats=False).eval())


def _copy_bn(norm, running_mean):
    bn = nn.BatchNorm2d(norm.num_features).double()
    bn.load_state_dict(norm.state_dict())
    bn.running_mean.copy_(running_mean)
    return bn.train()


def test_sequential_keeps_keys_and_folds_pairs():
    torch.manual_seed(0)
    seq = ConvNormSequential(nn.AvgPool2d(2), nn.Conv2d(4, 6, 1, bias=False), nn.BatchNorm2d(6),
                             nn.ReLU())
    plain = nn.Sequential(*seq)
    assert list(seq.state_dict()) == list(plain.state_dict())
    seq[2].running_var.uniform_(0.5, 2)
    seq.double().eval()
    x = torch.randn(2, 4, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(seq(x), plain(x), rtol=1e-12, atol=1e-12)


def test_resnet_norm_eval_training_gradients_equal_unfolded():
    """ResNet-18 with norm_eval (BN folded while training) gives the gradients of the
    plain conv-then-BN computation (the modules run one by one)."""
    torch.manual_seed(0)
    model = ResNet(18, norm_eval=True, frozen_stages=1).double()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2)
    model.train()
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    outs = model(x)
    loss = sum((o * o).mean() for o in outs)
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params)

    def plain_forward(x):  # unfolded reference: conv then BN module by module
        x = model.maxpool(model.relu(model.norm1(model.conv1(x))))
        res = []
        for name in model.res_layers:
            for blk in getattr(model, name):
                idt = x if blk.downsample is None else blk.downsample[1](blk.downsample[0](x))
                y = blk.relu(blk.norm1(blk.conv1(x)))
                x = blk.relu(blk.norm2(blk.conv2(y)) + idt)
            res.append(x)
        return res

    ref_outs = plain_forward(x)
    ref_grads = torch.autograd.grad(sum((o * o).mean() for o in ref_outs), params)
    for a, b in zip(outs, ref_outs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    assert any(g.abs().sum() > 0 for g in grads)
