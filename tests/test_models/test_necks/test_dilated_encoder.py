"""DilatedEncoder (YOLOF): data flow, init, errors."""
import pytest
import torch

from detkit.models import build_neck


def test_forward_and_init():
    m = build_neck(dict(type='DilatedEncoder', in_channels=16, out_channels=8,
                        block_mid_channels=4, num_residual_blocks=2, block_dilations=[2, 4]))
    blocks = m.dilated_encoder_blocks
    assert blocks[1].conv2.conv.dilation == (4, 4) and blocks[1].conv2.conv.padding == (4, 4)
    assert list(m.state_dict())[:2] == ['lateral_conv.weight', 'lateral_conv.bias']
    torch.manual_seed(0)
    m.init_weights()
    assert abs(blocks[0].conv2.conv.weight.std().item() - 0.01) < 0.002
    bound = (3 / 16) ** 0.5  # caffe2 xavier: U(+-sqrt(3 / fan_in))
    assert m.lateral_conv.weight.abs().max() <= bound
    assert torch.all(m.lateral_conv.bias == 0) and torch.all(m.fpn_norm.weight == 1)
    m.eval()
    c4, c5 = torch.randn(1, 8, 8, 8), torch.randn(1, 16, 4, 4)
    with torch.no_grad():
        (out,) = m((c4, c5))
        y = m.fpn_norm(m.fpn_conv(m.lateral_norm(m.lateral_conv(c5))))
        for b in blocks:
            y = y + b.conv3(b.conv2(b.conv1(y)))
    torch.testing.assert_close(out, y)


def test_errors():
    with pytest.raises(ValueError, match='num_residual_blocks=3'):
        build_neck(dict(type='DilatedEncoder', in_channels=16, out_channels=8,
                        block_mid_channels=4, num_residual_blocks=3, block_dilations=[2, 4]))
    m = build_neck(dict(type='DilatedEncoder', in_channels=16, out_channels=8,
                        block_mid_channels=4, num_residual_blocks=1, block_dilations=[2]))
    with pytest.raises(ValueError, match='in_channels=16 but the last input feature map has 8'):
        m((torch.randn(1, 8, 4, 4),))
