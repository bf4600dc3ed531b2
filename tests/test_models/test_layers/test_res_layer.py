"""ResLayer, plugins, SELayer and InvertedResidual: layout and hand-checked data flow."""
import pytest
import torch
import torch.nn as nn

from detkit.models.backbones import BasicBlock, Bottleneck
from detkit.models.layers import ConvModule, InvertedResidual, ResLayer, SELayer, build_plugin_layer


def test_res_layer_downsample_layouts():
    layer = ResLayer(Bottleneck, inplanes=64, planes=32, num_blocks=3, stride=2)
    assert len(layer) == 3
    assert isinstance(layer[0].downsample[0], nn.Conv2d)
    assert layer[0].downsample[0].stride == (2, 2) and layer[1].downsample is None
    assert layer[1].conv1.in_channels == 128
    layer = ResLayer(Bottleneck, inplanes=64, planes=32, num_blocks=1, stride=2, avg_down=True)
    pool, conv = layer[0].downsample[0], layer[0].downsample[1]
    assert isinstance(pool, nn.AvgPool2d) and pool.ceil_mode and not pool.count_include_pad
    assert conv.stride == (1, 1)
    # no projection when shapes already match
    assert ResLayer(BasicBlock, 16, 16, 2)[0].downsample is None
    # downsample_first=False (Hourglass): the last block changes the width
    layer = ResLayer(BasicBlock, 16, 32, 2, stride=2, downsample_first=False)
    assert layer[0].conv1.out_channels == 16 and layer[1].downsample is not None
    layer = ResLayer(Bottleneck, 16, 24, 1, expansion=1)
    assert layer[0].conv3.out_channels == 24 and layer[0].downsample[0].out_channels == 24


def test_bottleneck_forward_reference():
    block = ResLayer(Bottleneck, 8, 4, 1, stride=2)[0].eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        out = torch.relu(block.bn1(block.conv1(x)))
        out = torch.relu(block.bn2(block.conv2(out)))
        out = block.bn3(block.conv3(out))
        ref = torch.relu(out + block.downsample(x))
        torch.testing.assert_close(block(x), ref)


def test_build_plugin_layer():
    name, layer = build_plugin_layer(dict(type='ConvModule', out_channels=4, kernel_size=1),
                                     postfix=2, in_channels=3)
    assert name == 'conv_block2' and isinstance(layer, ConvModule)
    # without _abbr_, the class name in snake case (mmcv's rule)
    from detkit.models.layers.plugin import _plugin_abbr
    assert _plugin_abbr(type('NonLocal2d', (), {})) == 'non_local2d'
    assert _plugin_abbr(type('GeneralizedAttention', (), {})) == 'generalized_attention'
    assert _plugin_abbr(type('HTTPServer', (), {})) == 'http_server'
    with pytest.raises(KeyError, match="did you mean 'ConvModule'"):
        build_plugin_layer(dict(type='ConvModul'))


def test_se_layer():
    se = SELayer(8, ratio=4).eval()
    assert se.conv1.conv.weight.shape == (2, 8, 1, 1)
    x = torch.randn(2, 8, 3, 3)
    with torch.no_grad():
        gate = torch.sigmoid(se.conv2.conv(torch.relu(se.conv1.conv(x.mean((2, 3), True)))))
        torch.testing.assert_close(se(x), x * gate)


def test_inverted_residual():
    m = InvertedResidual(8, 8, 16, se_cfg=dict(channels=16, ratio=4)).eval()
    assert m.with_res_shortcut and m.depthwise_conv.conv.groups == 16
    assert not m.linear_conv.with_activation  # linear bottleneck
    x = torch.randn(1, 8, 5, 5)
    with torch.no_grad():
        ref = x + m.linear_conv(m.se(m.depthwise_conv(m.expand_conv(x))))
        torch.testing.assert_close(m(x), ref)
    m = InvertedResidual(8, 16, 8, stride=2, with_expand_conv=False)
    assert not m.with_res_shortcut and not hasattr(m, 'expand_conv')
    assert m(torch.randn(1, 8, 6, 6)).shape == (1, 16, 3, 3)
    with pytest.raises(ValueError, match='mid_channels'):
        InvertedResidual(8, 8, 16, with_expand_conv=False)
    with pytest.raises(ValueError, match='stride must be 1 or 2'):
        InvertedResidual(8, 8, 16, stride=3)
