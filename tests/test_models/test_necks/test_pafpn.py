"""PAFPN: key layout, hand-computed bottom-up path, extra levels."""
import torch
import torch.nn.functional as F

from detkit.models import build_neck
from detkit.models.necks import PAFPN


def feats(channels=(8, 16, 32), size=16):
    g = torch.Generator().manual_seed(0)
    return tuple(torch.randn(1, c, size >> i, size >> i, generator=g)
                 for i, c in enumerate(channels))


def test_keys_and_values():
    m = build_neck(dict(type='PAFPN', in_channels=[8, 16, 32], out_channels=4, num_outs=5)).eval()
    prefixes = []
    for k in m.state_dict():
        p = k.split('.')[0]
        if p not in prefixes:
            prefixes.append(p)
    assert prefixes == ['lateral_convs', 'fpn_convs', 'downsample_convs', 'pafpn_convs']
    assert len(m.downsample_convs) == 2 and m.downsample_convs[0].conv.stride == (2, 2)
    x = feats()
    with torch.no_grad():
        outs = m(x)
        lat = [c(xi) for c, xi in zip(m.lateral_convs, x)]
        lat[1] = lat[1] + F.interpolate(lat[2], size=(8, 8), mode='nearest')
        lat[0] = lat[0] + F.interpolate(lat[1], size=(16, 16), mode='nearest')
        inter = [m.fpn_convs[i](lat[i]) for i in range(3)]
        inter[1] = inter[1] + m.downsample_convs[0](inter[0])
        inter[2] = inter[2] + m.downsample_convs[1](inter[1])
        ref = [inter[0], m.pafpn_convs[0](inter[1]), m.pafpn_convs[1](inter[2])]
        ref += [F.max_pool2d(ref[-1], 1, stride=2)]
        ref += [F.max_pool2d(ref[-1], 1, stride=2)]
    for o, r in zip(outs, ref):
        torch.testing.assert_close(o, r)


def test_extra_convs_on_output_with_start_level():
    m = PAFPN([8, 16, 32], 4, num_outs=4, start_level=1, add_extra_convs='on_output',
              relu_before_extra_convs=True).eval()
    assert len(m.downsample_convs) == 1
    x = feats()
    with torch.no_grad():
        outs = m(x)
        torch.testing.assert_close(outs[2], m.fpn_convs[2](outs[1]))
        torch.testing.assert_close(outs[3], m.fpn_convs[3](F.relu(outs[2])))
    assert [o.shape[-1] for o in outs] == [8, 4, 2, 1]
