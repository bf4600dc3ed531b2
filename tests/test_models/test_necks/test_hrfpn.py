"""HRFPN: concat-reduce-pool data flow, layout, errors."""
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_neck


def test_data_flow_and_layout():
    m = build_neck(dict(type='HRFPN', in_channels=[4, 8], out_channels=6, num_outs=3)).eval()
    assert list(m.state_dict())[:2] == ['reduction_conv.conv.weight', 'reduction_conv.conv.bias']
    assert m.reduction_conv.conv.weight.shape == (6, 12, 1, 1)
    x = (torch.randn(1, 4, 8, 8), torch.randn(1, 8, 4, 4))
    with torch.no_grad():
        outs = m(x)
        cat = torch.cat([x[0], F.interpolate(x[1], scale_factor=2, mode='bilinear')], 1)
        red = m.reduction_conv(cat)
        ref = [m.fpn_convs[0](red), m.fpn_convs[1](F.avg_pool2d(red, 2, 2)),
               m.fpn_convs[2](F.avg_pool2d(red, 4, 4))]
    for o, r in zip(outs, ref):
        torch.testing.assert_close(o, r)
    mx = build_neck(dict(type='HRFPN', in_channels=[4, 8], out_channels=6, num_outs=2,
                         pooling_type='MAX', with_cp=True))
    y = mx(tuple(t.requires_grad_() for t in x))
    y[1].sum().backward()
    assert x[1].grad is not None and y[1].shape == (1, 6, 4, 4)


def test_errors():
    with pytest.raises(ValueError, match="'AVG' or 'MAX'"):
        build_neck(dict(type='HRFPN', in_channels=[4, 8], out_channels=6, pooling_type='avg'))
    m = build_neck(dict(type='HRFPN', in_channels=[4, 8], out_channels=6))
    with pytest.raises(ValueError, match=r'in_channels=\[4, 8\]'):
        m((torch.randn(1, 4, 8, 8),))
