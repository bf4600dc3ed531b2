"""Focus, SPPBottleneck, DarknetBottleneck, CSPLayer: hand-checked data flow."""
import torch
import torch.nn.functional as F

from detkit.models.layers.csp_layer import CSPLayer
from detkit.models.layers.darknet_bottleneck import DarknetBottleneck
from detkit.models.layers.focus import Focus
from detkit.models.layers.spp_bottleneck import SPPBottleneck


def test_focus_space_to_depth_order():
    m = Focus(1, 4, kernel_size=1, act_cfg=None, norm_cfg=None)
    with torch.no_grad():
        m.conv.conv.weight.copy_(torch.eye(4).view(4, 4, 1, 1))
        m.conv.conv.bias.zero_()
    x = torch.arange(16.).view(1, 1, 4, 4)
    y = m(x)
    # channels: top-left, bottom-left, top-right, bottom-right sub-grids
    assert y[0, :, 0, 0].tolist() == [0., 4., 1., 5.]
    assert y[0, :, 1, 1].tolist() == [10., 14., 11., 15.]


def test_spp_bottleneck():
    m = SPPBottleneck(8, 6, kernel_sizes=(3, 5)).eval()
    assert m.conv2.conv.weight.shape == (6, 12, 1, 1)
    x = torch.randn(1, 8, 7, 7)
    with torch.no_grad():
        h = m.conv1(x)
        ref = m.conv2(torch.cat([h, F.max_pool2d(h, 3, 1, 1), F.max_pool2d(h, 5, 1, 2)], 1))
        torch.testing.assert_close(m(x), ref)


def test_darknet_bottleneck_identity_only_when_shapes_match():
    assert DarknetBottleneck(4, 4).add_identity
    assert not DarknetBottleneck(4, 8).add_identity
    m = DarknetBottleneck(4, 4, expansion=0.5).eval()
    assert m.conv1.conv.weight.shape == (2, 4, 1, 1)
    x = torch.randn(1, 4, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(m(x), m.conv2(m.conv1(x)) + x)
        # Swish activation, BN(momentum=0.03, eps=1e-3) as in YOLOX
        assert m.conv1.bn.eps == 1e-3 and m.conv1.bn.momentum == 0.03
        h = m.conv1.bn(m.conv1.conv(x))
        torch.testing.assert_close(m.conv1(x), h * torch.sigmoid(h))


def test_csp_layer():
    m = CSPLayer(8, 16, num_blocks=2, add_identity=False).eval()
    assert list(dict(m.named_children())) == ['main_conv', 'short_conv', 'final_conv', 'blocks']
    assert m.main_conv.conv.weight.shape == (8, 8, 1, 1)
    assert m.final_conv.conv.weight.shape == (16, 16, 1, 1)
    assert len(m.blocks) == 2 and not m.blocks[0].add_identity
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        ref = m.final_conv(torch.cat([m.blocks(m.main_conv(x)), m.short_conv(x)], 1))
        torch.testing.assert_close(m(x), ref)
    dw = CSPLayer(8, 16, use_depthwise=True)
    assert dw.blocks[0].conv2.depthwise_conv.conv.groups == 8
