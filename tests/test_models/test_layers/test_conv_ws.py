"""ConvWS2d: weight standardisation against a float64 reference."""
import torch
import torch.nn.functional as F

from detkit.models.layers import ConvModule, ConvWS2d, build_conv_layer


def test_conv_ws_values():
    torch.manual_seed(0)
    m = build_conv_layer(dict(type='ConvWS'), 3, 4, 3, padding=1).double()
    assert isinstance(m, ConvWS2d) and list(m.state_dict()) == ['weight', 'bias']
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    w = m.weight.detach()
    flat = w.reshape(4, -1)
    mean = flat.mean(1)
    std = torch.sqrt(((flat - mean[:, None]) ** 2).sum(1) / (flat.shape[1] - 1))
    w_std = (w - mean[:, None, None, None]) / (std[:, None, None, None] + 1e-5)
    torch.testing.assert_close(m(x), F.conv2d(x, w_std, m.bias, padding=1))


def test_conv_module_with_ws_and_gn():
    m = ConvModule(4, 8, 3, padding=1, conv_cfg=dict(type='ConvWS'),
                   norm_cfg=dict(type='GN', num_groups=2))
    assert isinstance(m.conv, ConvWS2d)
    assert m(torch.randn(1, 4, 6, 6)).shape == (1, 8, 6, 6)
