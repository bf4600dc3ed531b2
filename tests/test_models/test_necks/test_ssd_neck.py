"""SSDNeck + L2Norm: SSD300 layout and sizes, L2Norm values, init, errors."""
import pytest
import torch

from detkit.models import build_neck
from detkit.models.necks import L2Norm, SSDNeck

SSD300 = dict(type='SSDNeck', in_channels=(512, 1024),
              out_channels=(512, 1024, 512, 256, 256, 256), level_strides=(2, 2, 1, 1),
              level_paddings=(1, 1, 0, 0), l2_norm_scale=20)


def test_ssd300_layout_and_sizes():
    m = build_neck(SSD300).eval()
    sd = m.state_dict()
    assert list(sd)[0] == 'l2_norm.weight'
    assert sd['extra_layers.0.0.conv.weight'].shape == (256, 1024, 1, 1)
    assert sd['extra_layers.0.1.conv.weight'].shape == (512, 256, 3, 3)
    assert sd['extra_layers.3.1.conv.weight'].shape == (256, 128, 3, 3)
    with torch.no_grad():
        outs = m((torch.randn(1, 512, 38, 38), torch.randn(1, 1024, 19, 19)))
    assert [o.shape[1:] for o in outs] == [(512, 38, 38), (1024, 19, 19), (512, 10, 10),
                                           (256, 5, 5), (256, 3, 3), (256, 1, 1)]


def test_l2_norm_values_and_init():
    n = L2Norm(3, scale=5.)
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    ref = 5. * x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
    # computed in float32 (as MMDetection does, for fp16 safety) and cast back
    assert n(x).dtype == torch.float64
    torch.testing.assert_close(n(x), ref, rtol=1e-6, atol=1e-6)
    assert n(x.half()).dtype == torch.float16
    m = build_neck(SSD300)
    with torch.no_grad():
        m.l2_norm.weight.zero_()
    m.init_weights()
    assert torch.all(m.l2_norm.weight == 20)
    b = m.extra_layers[0][1].conv.weight
    bound = (6 / (256 * 9 + 512 * 9)) ** 0.5  # xavier uniform
    assert b.abs().max() <= bound and b.abs().max() > 0.9 * bound
    assert 'l2_norm' not in dict(build_neck(dict(SSD300, l2_norm_scale=None)).named_children())


def test_depthwise_last_kernel_and_errors():
    m = SSDNeck((8, 16), (8, 16, 8, 8), (2, 1), (1, 0), last_kernel_size=2, use_depthwise=True)
    assert m.extra_layers[1][1].depthwise_conv.conv.kernel_size == (2, 2)
    with pytest.raises(ValueError, match='must start with in_channels'):
        SSDNeck((8, 16), (8, 32, 8), (2,), (1,))
    with pytest.raises(ValueError, match='2 extra levels'):
        SSDNeck((8, 16), (8, 16, 8, 8), (2,), (1,))
