"""build_conv_layer / build_norm_layer / build_activation_layer / upsample / padding."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from detkit.models.layers import (
    Clamp,
    HSigmoid,
    HSwish,
    PixelShufflePack,
    Scale,
    build_activation_layer,
    build_conv_layer,
    build_norm_layer,
    build_padding_layer,
    build_upsample_layer,
)


def test_build_conv_layer():
    assert type(build_conv_layer(None, 3, 4, 3)) is nn.Conv2d
    assert type(build_conv_layer(dict(type='Conv'), 3, 4, 3)) is nn.Conv2d
    assert type(build_conv_layer(dict(type='Conv1d'), 3, 4, 3)) is nn.Conv1d
    assert type(build_conv_layer(dict(type='Conv3d'), 3, 4, 3)) is nn.Conv3d
    de = build_conv_layer(dict(type='deconv'), 3, 4, 4, stride=2, padding=1)
    assert type(de) is nn.ConvTranspose2d and de(torch.randn(1, 3, 5, 5)).shape == (1, 4, 10, 10)
    with pytest.raises(KeyError, match="Conv2dd.*did you mean 'Conv2d'"):
        build_conv_layer(dict(type='Conv2dd'), 3, 4, 3)


@pytest.mark.parametrize('cfg,postfix,name,cls', [
    (dict(type='BN'), 1, 'bn1', nn.BatchNorm2d),
    (dict(type='BN1d'), '', 'bn', nn.BatchNorm1d),
    (dict(type='BN2d'), 2, 'bn2', nn.BatchNorm2d),
    (dict(type='BN3d'), '', 'bn', nn.BatchNorm3d),
    (dict(type='SyncBN'), '', 'bn', nn.SyncBatchNorm),
    (dict(type='GN', num_groups=2), 3, 'gn3', nn.GroupNorm),
    (dict(type='LN'), '', 'ln', nn.LayerNorm),
    (dict(type='IN'), '_x', 'in_x', nn.InstanceNorm2d),
    (dict(type='IN1d'), '', 'in', nn.InstanceNorm1d),
    (dict(type='IN3d'), '', 'in', nn.InstanceNorm3d),
])
def test_build_norm_layer_names(cfg, postfix, name, cls):
    got_name, layer = build_norm_layer(cfg, 4, postfix)
    assert got_name == name and type(layer) is cls
    assert layer.eps == 1e-5


def test_build_norm_layer_args_and_errors():
    _, bn = build_norm_layer(dict(type='BN', requires_grad=False, momentum=0.01), 8)
    assert not any(p.requires_grad for p in bn.parameters()) and bn.momentum == 0.01
    _, gn = build_norm_layer(dict(type='GN', num_groups=4, eps=1e-3), 8)
    assert gn.num_groups == 4 and gn.num_channels == 8 and gn.eps == 1e-3
    with pytest.raises(KeyError, match='num_groups'):
        build_norm_layer(dict(type='GN'), 8)
    with pytest.raises(KeyError, match="'BatchNorm'.*known types: BN"):
        build_norm_layer(dict(type='BatchNorm'), 8)
    with pytest.raises(KeyError, match="did you mean 'GN'"):
        build_norm_layer(dict(type='gn'), 8)
    with pytest.raises(KeyError, match='"type"'):
        build_norm_layer(dict(num_groups=2), 8)


def test_activations_values():
    x = torch.linspace(-5, 5, 41, dtype=torch.float64)
    cases = {
        'ReLU': x.clamp(min=0),
        'LeakyReLU': torch.where(x > 0, x, 0.01 * x),
        'ReLU6': x.clamp(0, 6),
        'ELU': torch.where(x > 0, x, torch.exp(x) - 1),
        'Sigmoid': 1 / (1 + torch.exp(-x)),
        'Tanh': torch.tanh(x),
        'SiLU': x / (1 + torch.exp(-x)),
        'Swish': x / (1 + torch.exp(-x)),
        'GELU': 0.5 * x * (1 + torch.erf(x / math.sqrt(2))),
        'HSigmoid': ((x + 3) / 6).clamp(0, 1),
        'HSwish': x * (x + 3).clamp(0, 6) / 6,
        'Clamp': x.clamp(-1, 1),
    }
    for name, ref in cases.items():
        act = build_activation_layer(dict(type=name))
        torch.testing.assert_close(act(x.clone()), ref, msg=name)
    gelu_tanh = build_activation_layer(dict(type='GELU', approximate='tanh'))
    torch.testing.assert_close(gelu_tanh(x), 0.5 * x * (1 + torch.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))
    prelu = build_activation_layer(dict(type='PReLU', num_parameters=1, init=0.25))
    torch.testing.assert_close(prelu(x.float()), torch.where(x > 0, x, 0.25 * x).float())
    assert isinstance(build_activation_layer(dict(type='HSigmoid', bias=1.0, divisor=2.0)),
                      HSigmoid)
    torch.testing.assert_close(HSigmoid(1.0, 2.0)(x), ((x + 1) / 2).clamp(0, 1))
    torch.testing.assert_close(Clamp(min=0, max=2)(x), x.clamp(0, 2))
    assert isinstance(build_activation_layer(dict(type='HSwish')), HSwish)
    with pytest.raises(KeyError, match="did you mean 'LeakyReLU'"):
        build_activation_layer(dict(type='LeakyRelu'))


def test_upsample_layers():
    x = torch.randn(1, 2, 3, 3)
    up = build_upsample_layer(dict(type='nearest', scale_factor=2))
    torch.testing.assert_close(up(x), x.repeat_interleave(2, 2).repeat_interleave(2, 3))
    up = build_upsample_layer(dict(type='bilinear', scale_factor=2, align_corners=False))
    torch.testing.assert_close(up(x), F.interpolate(x, scale_factor=2, mode='bilinear'))
    de = build_upsample_layer(dict(type='deconv'), 2, 4, kernel_size=2, stride=2)
    assert type(de) is nn.ConvTranspose2d and de(x).shape == (1, 4, 6, 6)
    ps = build_upsample_layer(dict(type='pixel_shuffle', scale_factor=2, upsample_kernel=3),
                              in_channels=2, out_channels=5)
    assert isinstance(ps, PixelShufflePack)
    assert ps.upsample_conv.weight.shape == (20, 2, 3, 3) and ps.upsample_conv.bias.eq(0).all()
    torch.testing.assert_close(ps(x), F.pixel_shuffle(ps.upsample_conv(x), 2))
    with pytest.raises(KeyError, match="did you mean 'bilinear'"):
        build_upsample_layer(dict(type='bilinar'))


def test_padding_layer():
    x = torch.arange(9.).view(1, 1, 3, 3)
    assert build_padding_layer(dict(type='zero'), 1)(x)[0, 0, 0].eq(0).all()
    torch.testing.assert_close(build_padding_layer(dict(type='reflect'), 1)(x),
                               F.pad(x, (1, 1, 1, 1), mode='reflect'))
    torch.testing.assert_close(build_padding_layer(dict(type='replicate'), 1)(x),
                               F.pad(x, (1, 1, 1, 1), mode='replicate'))
    with pytest.raises(KeyError, match="did you mean 'reflect'"):
        build_padding_layer(dict(type='reflection'), 1)


def test_scale():
    s = Scale(2.5)
    assert list(s.state_dict()) == ['scale'] and s.scale.shape == ()
    x = torch.randn(3, 4)
    torch.testing.assert_close(s(x), 2.5 * x)
    s(x).sum().backward()
    torch.testing.assert_close(s.scale.grad, x.sum())
