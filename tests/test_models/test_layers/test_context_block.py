"""ContextBlock (GCNet): float64 reference, identity at init, as a ResNet plugin."""
import pytest
import torch

from detkit.models.backbones import ResNet
from detkit.models.layers import ContextBlock


def test_values_against_reference():
    torch.manual_seed(0)
    m = ContextBlock(8, 0.25, fusion_types=('channel_add', 'channel_mul')).double()
    for t in (m.channel_add_conv, m.channel_mul_conv):
        torch.nn.init.normal_(t[-1].weight)
    x = torch.randn(2, 8, 3, 4, dtype=torch.float64)
    logits = torch.einsum('c,bchw->bhw', m.conv_mask.weight.view(8), x) + m.conv_mask.bias
    att = torch.softmax(logits.flatten(1), 1).view(2, 1, 3, 4)
    context = (x * att).sum((2, 3), keepdim=True)
    ref = x * torch.sigmoid(m.channel_mul_conv(context)) + m.channel_add_conv(context)
    torch.testing.assert_close(m(x), ref)
    avg = ContextBlock(8, 0.25, pooling_type='avg').double()
    torch.testing.assert_close(avg.spatial_pool(x), x.mean((2, 3), keepdim=True))


def test_identity_at_init_and_errors():
    m = ContextBlock(8, 1. / 4)
    x = torch.randn(1, 8, 5, 5)
    torch.testing.assert_close(m(x), x)  # the last conv starts at zero
    with pytest.raises(ValueError, match='pooling_type'):
        ContextBlock(8, 0.5, pooling_type='max')
    with pytest.raises(ValueError, match='fusion_types'):
        ContextBlock(8, 0.5, fusion_types=('channel_sub',))


def test_gcnet_resnet_plugin():
    plugin = dict(cfg=dict(type='ContextBlock', ratio=1. / 16),
                  stages=(False, True, True, True), position='after_conv3')
    m = ResNet(50, plugins=[plugin]).eval()
    sd = m.state_dict()
    assert 'layer1.0.context_block.conv_mask.weight' not in sd
    assert sd['layer2.0.context_block.conv_mask.weight'].shape == (1, 512, 1, 1)
    assert sd['layer4.2.context_block.channel_add_conv.0.weight'].shape == (128, 2048, 1, 1)
    assert sd['layer4.2.context_block.channel_add_conv.1.weight'].shape == (128, 1, 1)
