import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from detkit.models.layers import ConvModule, DepthwiseSeparableConvModule
from detkit.registry import PLUGIN_LAYERS


def test_conv_bn_relu_matches_float64_reference():
    torch.manual_seed(0)
    m = ConvModule(3, 4, 3, padding=1, norm_cfg=dict(type='BN')).double().eval()
    m.bn.running_mean.uniform_(-1, 1)
    m.bn.running_var.uniform_(0.5, 2)
    m.bn.weight.data.uniform_(0.5, 2)
    m.bn.bias.data.uniform_(-1, 1)
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    y = F.conv2d(x, m.conv.weight, None, padding=1)
    y = (y - m.bn.running_mean[:, None, None]) / torch.sqrt(m.bn.running_var[:, None, None] + 1e-5)
    y = y * m.bn.weight[:, None, None] + m.bn.bias[:, None, None]
    torch.testing.assert_close(m(x), y.clamp(min=0))
    # norm=False / activate=False skip those steps
    torch.testing.assert_close(m(x, norm=False, activate=False),
                               F.conv2d(x, m.conv.weight, None, padding=1))


def test_names_bias_and_keys():
    m = ConvModule(3, 8, 3, norm_cfg=dict(type='GN', num_groups=2))
    assert list(m.state_dict()) == ['conv.weight', 'gn.weight', 'gn.bias']
    assert m.norm_name == 'gn' and m.norm is m.gn
    assert m.conv.bias is None  # bias='auto' with a norm
    m = ConvModule(3, 8, 1, act_cfg=None)
    assert list(m.state_dict()) == ['conv.weight', 'conv.bias']
    assert not hasattr(m, 'activate') and m.norm is None
    assert ConvModule(3, 8, 1, norm_cfg=dict(type='BN')).state_dict()['bn.weight'].eq(1).all()
    assert PLUGIN_LAYERS.get('ConvModule') is ConvModule


def test_inplace_and_act_types():
    m = ConvModule(3, 8, 1, inplace=False)
    assert m.activate.inplace is False
    m = ConvModule(3, 8, 1, act_cfg=dict(type='Sigmoid'))  # Sigmoid takes no inplace
    assert isinstance(m.activate, nn.Sigmoid)
    with pytest.warns(UserWarning, match='Unnecessary conv bias'):
        ConvModule(3, 8, 1, bias=True, norm_cfg=dict(type='BN'))


def test_order_norm_first_uses_in_channels():
    m = ConvModule(3, 8, 1, norm_cfg=dict(type='BN'), order=('norm', 'conv', 'act'))
    assert m.bn.num_features == 3
    x = torch.randn(2, 3, 4, 4)
    m.eval()
    ref = F.relu(m.conv(m.bn(x)))
    torch.testing.assert_close(m(x), ref)
    with pytest.raises(ValueError, match='permutation'):
        ConvModule(3, 8, 1, order=('conv', 'act'))


def test_padding_modes():
    x = torch.randn(1, 2, 5, 5)
    m = ConvModule(2, 3, 3, padding=1, padding_mode='reflect', act_cfg=None)
    assert isinstance(m.padding_layer, nn.ReflectionPad2d)
    ref = F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'), m.conv.weight, m.conv.bias)
    torch.testing.assert_close(m(x), ref)
    m = ConvModule(2, 3, 3, padding=1, padding_mode='circular', act_cfg=None)
    ref = F.conv2d(F.pad(x, (1, 1, 1, 1), mode='circular'), m.conv.weight, m.conv.bias)
    torch.testing.assert_close(m(x), ref)


def test_spectral_norm_and_leaky_init():
    m = ConvModule(3, 8, 3, with_spectral_norm=True)
    assert hasattr(m.conv, 'weight_orig')
    torch.manual_seed(0)
    m = ConvModule(64, 256, 3, act_cfg=dict(type='LeakyReLU', negative_slope=0.2))
    # kaiming normal, fan_out = 256 * 9, gain sqrt(2 / (1 + 0.2^2))
    std = (2 / 1.04) ** 0.5 / (256 * 9) ** 0.5
    assert abs(m.conv.weight.std().item() / std - 1) < 0.02
    assert m.conv.bias.abs().max() == 0


def test_bad_cfgs():
    with pytest.raises(KeyError, match="did you mean 'SyncBN'"):
        ConvModule(3, 8, 1, norm_cfg=dict(type='SynBN'))
    with pytest.raises(KeyError, match="did you mean 'ReLU'"):
        ConvModule(3, 8, 1, act_cfg=dict(type='Relu'))
    with pytest.raises(TypeError, match='norm_cfg must be a dict'):
        ConvModule(3, 8, 1, norm_cfg='BN')


def test_depthwise_separable():
    m = DepthwiseSeparableConvModule(4, 8, 3, padding=1, norm_cfg=dict(type='BN'),
                                     pw_act_cfg=None)
    assert m.depthwise_conv.conv.groups == 4
    assert m.depthwise_conv.conv.weight.shape == (4, 1, 3, 3)
    assert m.pointwise_conv.conv.weight.shape == (8, 4, 1, 1)
    assert m.depthwise_conv.with_activation and not m.pointwise_conv.with_activation
    m.eval()
    x = torch.randn(2, 4, 6, 6)
    ref = m.pointwise_conv.bn(m.pointwise_conv.conv(
        F.relu(m.depthwise_conv.bn(m.depthwise_conv.conv(x)))))
    torch.testing.assert_close(m(x), ref)
    with pytest.raises(TypeError, match='groups'):
        DepthwiseSeparableConvModule(4, 8, 3, groups=2)
