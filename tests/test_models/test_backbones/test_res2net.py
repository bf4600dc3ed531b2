"""Res2Net / Bottle2neck: MMDetection key layout, parameter count, hand-checked hierarchy."""
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_backbone
from detkit.models.backbones import Bottle2neck, Res2Net


def test_res2net101_layout_and_size():
    with torch.device('meta'):
        m = build_backbone(dict(type='Res2Net', depth=101, scales=4, base_width=26))
    sd = m.state_dict()
    block_keys = [k for k in sd if k.startswith('layer1.0.') and k.endswith('weight')]
    # MMDetection's registration order: conv1, bn1, conv3, bn3, downsample, convs, bns
    assert block_keys == ['layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer1.0.conv3.weight',
                          'layer1.0.bn3.weight', 'layer1.0.downsample.1.weight',
                          'layer1.0.downsample.2.weight', 'layer1.0.convs.0.weight',
                          'layer1.0.convs.1.weight', 'layer1.0.convs.2.weight',
                          'layer1.0.bns.0.weight', 'layer1.0.bns.1.weight', 'layer1.0.bns.2.weight']
    assert sd['layer1.0.convs.0.weight'].shape == (26, 26, 3, 3)
    assert sd['layer4.0.conv1.weight'].shape == (832, 1024, 1, 1)  # 4 groups of 208
    assert sd['stem.0.weight'].shape == (32, 3, 3, 3)
    # Res2Net-101 26w x 4s has 45.21M parameters with its 1000-way classifier (Gao et al.)
    n = sum(p.numel() for p in m.parameters()) + 2048 * 1000 + 1000
    assert abs(n / 45.21e6 - 1) < 2e-3


def _reference(block, x):
    """Bottle2neck by the paper: y1 = K1(x1); yi = Ki(xi + y(i-1)); y_s = x_s."""
    out = F.relu(block.bn1(block.conv1(x)))
    xs = torch.split(out, block.width, 1)
    ys, prev = [], None
    for i in range(block.scales - 1):
        inp = xs[i] if (prev is None or block.stage_type == 'stage') else xs[i] + prev
        prev = F.relu(block.bns[i](block.convs[i](inp)))
        ys.append(prev)
    last = xs[-1]
    if block.stage_type == 'stage' and block.conv2_stride != 1:
        last = F.avg_pool2d(last, 3, block.conv2_stride, 1)
    out = block.bn3(block.conv3(torch.cat(ys + [last], 1)))
    identity = x if block.downsample is None else block.downsample(x)
    return F.relu(out + identity)


def test_bottle2neck_matches_reference():
    torch.manual_seed(0)
    x = torch.randn(2, 16, 8, 8)
    normal = Bottle2neck(16, 4, scales=4, base_width=16, base_channels=16).eval()
    strided = Res2Net(depth=50, base_channels=4, scales=3, base_width=4).layer2[0].eval()
    assert strided.stage_type == 'stage' and hasattr(strided, 'pool')
    with torch.no_grad():
        torch.testing.assert_close(normal(x), _reference(normal, x))
        y = torch.randn(1, 16, 8, 8)
        torch.testing.assert_close(strided(y), _reference(strided, y))
        assert strided(y).shape == (1, 32, 4, 4)


def test_forward_init_and_errors():
    m = Res2Net(depth=50, base_channels=8, scales=4, base_width=26).eval()
    with torch.no_grad():
        outs = m(torch.randn(1, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(1, 32, 8, 8), (1, 64, 4, 4), (1, 128, 2, 2),
                                              (1, 256, 1, 1)]
    m.init_weights()
    assert torch.all(m.layer2[1].bn3.weight == 0)  # zero_init_residual
    with pytest.raises(ValueError, match='scales must be > 1'):
        Bottle2neck(16, 4, scales=1)
    with pytest.raises(KeyError, match='valid depths: 50, 101, 152'):
        Res2Net(depth=34)
    with pytest.raises(TypeError, match="did you mean 'frozen_stages'"):
        Res2Net(depth=50, frozen_stage=1)
