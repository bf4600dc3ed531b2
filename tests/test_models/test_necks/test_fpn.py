"""FPN: torchvision parity (RetinaNet v1/v2 FPNs), MMDetection keys, options, errors."""
import json
import pathlib

import pytest
import torch
import torch.nn.functional as F
from torchvision.models.detection import retinanet_resnet50_fpn, retinanet_resnet50_fpn_v2

from detkit.models import build_neck
from detkit.models.necks import FPN

COMPAT = pathlib.Path('/work/shared/compat')
IN_CHANNELS = [256, 512, 1024, 2048]


def compat_entries(name, prefix):
    sd = json.loads((COMPAT / f'{name}.json').read_text())['state_dict']
    return [(k[len(prefix):], s) for k, s in sd if k.startswith(prefix)]


def our_entries(module):
    return [(k, list(v.shape)) for k, v in module.state_dict().items()]


def feats(seed=0, size=32, batch=1):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch, c, size >> i, size >> i, generator=g)
                 for i, c in enumerate(IN_CHANNELS))


def copy_torchvision_fpn(ours, tv_fpn):
    """Copy torchvision FPN weights (C3..C5 inputs + P6/P7) into our FPN(start_level=1)."""
    sd = tv_fpn.state_dict()
    for i in range(3):
        for p in ('weight', 'bias'):
            getattr(ours.lateral_convs[i].conv, p).data.copy_(sd[f'inner_blocks.{i}.0.{p}'])
            getattr(ours.fpn_convs[i].conv, p).data.copy_(sd[f'layer_blocks.{i}.0.{p}'])
    for j, name in ((3, 'p6'), (4, 'p7')):
        for p in ('weight', 'bias'):
            getattr(ours.fpn_convs[j].conv, p).data.copy_(sd[f'extra_blocks.{name}.{p}'])


def test_matches_torchvision_retinanet_fpn_on_output():
    torch.manual_seed(0)
    tv_fpn = retinanet_resnet50_fpn(weights=None, weights_backbone=None).backbone.fpn.eval()
    ours = FPN(in_channels=IN_CHANNELS, out_channels=256, start_level=1,
               add_extra_convs='on_output', relu_before_extra_convs=True, num_outs=5).eval()
    copy_torchvision_fpn(ours, tv_fpn)
    x = feats()
    with torch.no_grad():
        outs = ours(x)
        ref = tv_fpn({'0': x[1], '1': x[2], '2': x[3]})  # P6 from P5 (LastLevelP6P7 use_P5)
    assert [tuple(o.shape) for o in outs] == [(1, 256, 16, 16), (1, 256, 8, 8), (1, 256, 4, 4),
                                              (1, 256, 2, 2), (1, 256, 1, 1)]
    for o, r in zip(outs, ref.values()):
        torch.testing.assert_close(o, r, atol=1e-5, rtol=1e-5)


def test_matches_torchvision_retinanet_v2_fpn_on_input():
    torch.manual_seed(1)
    tv_fpn = retinanet_resnet50_fpn_v2(weights=None, weights_backbone=None).backbone.fpn.eval()
    ours = FPN(in_channels=IN_CHANNELS, out_channels=256, start_level=1,
               add_extra_convs='on_input', relu_before_extra_convs=True, num_outs=5).eval()
    assert ours.fpn_convs[3].conv.weight.shape == (256, 2048, 3, 3)
    copy_torchvision_fpn(ours, tv_fpn)
    x = feats(seed=1)
    with torch.no_grad():
        outs = ours(x)
        ref = tv_fpn({'0': x[1], '1': x[2], '2': x[3]})  # P6 from C5
    for o, r in zip(outs, ref.values()):
        torch.testing.assert_close(o, r, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('config,neck', [
    ('retinanet_r50_fpn_1x_coco', dict(start_level=1, add_extra_convs='on_input', num_outs=5)),
    ('faster_rcnn_r50_fpn_1x_coco', dict(num_outs=5)),
    ('mask_rcnn_r50_fpn_1x_coco', dict(num_outs=5)),
    ('fcos_r50_caffe_fpn_gn-head_1x_coco',
     dict(start_level=1, add_extra_convs='on_output', num_outs=5, relu_before_extra_convs=True)),
])
def test_mmdet_keys(config, neck):
    with torch.device('meta'):
        m = build_neck(dict(type='FPN', in_channels=IN_CHANNELS, out_channels=256, **neck))
    assert our_entries(m) == compat_entries(config, 'neck.')


def test_default_max_pool_extra_level_and_lateral_sum():
    ours = FPN(IN_CHANNELS, 8, num_outs=5).eval()
    x = feats(size=16)
    with torch.no_grad():
        outs = ours(x)
        # hand-computed top-down path for the two coarsest levels
        l3 = ours.lateral_convs[3](x[3])
        l2 = ours.lateral_convs[2](x[2]) + F.interpolate(l3, size=(4, 4), mode='nearest')
        torch.testing.assert_close(outs[2], ours.fpn_convs[2](l2))
        torch.testing.assert_close(outs[4], outs[3][:, :, ::2, ::2])
    assert len(ours.fpn_convs) == 4


def test_on_lateral_end_level_and_norm():
    m = FPN(IN_CHANNELS, 8, num_outs=5, start_level=1, add_extra_convs=True)
    assert m.add_extra_convs == 'on_input'
    m = FPN(IN_CHANNELS, 8, num_outs=6, start_level=1, add_extra_convs='on_lateral').eval()
    with torch.no_grad():
        outs = m(feats(size=64))
        lat = m.lateral_convs[2](feats(size=64)[3])
        torch.testing.assert_close(outs[3], m.fpn_convs[3](lat))
    assert [o.shape[-1] for o in outs] == [32, 16, 8, 4, 2, 1]
    m = FPN(IN_CHANNELS, 8, num_outs=2, start_level=0, end_level=1)
    assert [o.shape[1:] for o in m(feats(size=8))] == [(8, 8, 8), (8, 4, 4)]
    m = FPN(IN_CHANNELS, 8, num_outs=4, norm_cfg=dict(type='GN', num_groups=2),
            no_norm_on_lateral=True)
    assert 'lateral_convs.0.conv.bias' in m.state_dict()
    assert 'fpn_convs.0.gn.weight' in m.state_dict()
    m = FPN(IN_CHANNELS, 8, num_outs=4, upsample_cfg=dict(scale_factor=2, mode='bilinear'))
    assert m(feats(size=8))[0].shape == (1, 8, 8, 8)


def test_init_is_xavier_uniform():
    torch.manual_seed(0)
    m = FPN(IN_CHANNELS, 256, num_outs=5)
    m.init_weights()
    bound = (6 / (256 * 9 + 256 * 9)) ** 0.5
    w = m.fpn_convs[0].conv.weight
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
    assert torch.all(m.fpn_convs[0].conv.bias == 0)


def test_bad_inputs_name_both_sides():
    m = FPN(IN_CHANNELS, 8, num_outs=5)
    with pytest.raises(ValueError, match=r'4 input levels.*in_channels=\[256, 512, 1024, 2048\]'
                                         r'.*got 3 feature maps with channels \[256, 512, 1024\]'):
        m(feats()[:3])
    bad = list(feats(size=8))
    bad[1] = torch.randn(1, 500, 4, 4)
    with pytest.raises(ValueError, match=r'in_channels=\[256, 512, 1024, 2048\].*'
                                         r'channels \[256, 500, 1024, 2048\]'):
        m(tuple(bad))
    with pytest.raises(ValueError, match='add_extra_convs'):
        FPN(IN_CHANNELS, 8, num_outs=5, add_extra_convs='on_outputs')
    with pytest.raises(ValueError, match='num_outs=2 must be at least'):
        FPN(IN_CHANNELS, 8, num_outs=2)
    with pytest.raises(ValueError, match='num_outs must be 2'):
        FPN(IN_CHANNELS, 8, num_outs=3, end_level=1)


def test_traceable_and_exportable():
    import warnings

    m = FPN([8, 16], 4, num_outs=3, add_extra_convs='on_output').eval()
    x = (torch.randn(1, 8, 8, 8), torch.randn(1, 16, 4, 4))
    y = (torch.randn(1, 8, 12, 12), torch.randn(1, 16, 6, 6))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)  # jit.trace itself is deprecated
        warnings.simplefilter('error', torch.jit.TracerWarning)  # but our code adds none
        traced = torch.jit.trace(m, (x,))
    for a, b in zip(traced(y), m(y)):
        torch.testing.assert_close(a, b)
    exported = torch.export.export(m, (x,)).module()
    for a, b in zip(exported(x), m(x)):
        torch.testing.assert_close(a, b)
