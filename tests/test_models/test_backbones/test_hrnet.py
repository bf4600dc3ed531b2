"""HRNet / HRModule: HRNetV2-W32 layout, hand-checked fusion, errors."""
import pytest
import torch
import torch.nn.functional as F

from detkit.models import build_backbone
from detkit.models.backbones import BasicBlock, HRModule, HRNet

W32 = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4,),
                num_channels=(64,)),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                num_channels=(32, 64)),
    stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                num_channels=(32, 64, 128)),
    stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                num_channels=(32, 64, 128, 256)))

TINY = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(1,),
                num_channels=(8,)),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(1, 1),
                num_channels=(4, 8)),
    stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(1, 1, 1),
                num_channels=(4, 8, 16)),
    stage4=dict(num_modules=2, num_branches=4, block='BASIC', num_blocks=(1, 1, 1, 1),
                num_channels=(4, 8, 16, 32)))


def test_hrnetv2_w32_layout():
    with torch.device('meta'):
        m = build_backbone(dict(type='HRNet', extra=W32))
    sd = m.state_dict()
    expected = {
        'conv1.weight': (64, 3, 3, 3), 'conv2.weight': (64, 64, 3, 3),
        'layer1.0.conv3.weight': (256, 64, 1, 1), 'layer1.0.downsample.0.weight': (256, 64, 1, 1),
        'transition1.0.0.weight': (32, 256, 3, 3), 'transition1.1.0.0.weight': (64, 256, 3, 3),
        'stage2.0.fuse_layers.0.1.0.weight': (32, 64, 1, 1),
        'stage2.0.fuse_layers.1.0.0.0.weight': (64, 32, 3, 3),
        'transition2.2.0.0.weight': (128, 64, 3, 3),
        'stage3.3.branches.2.3.conv2.weight': (128, 128, 3, 3),
        'stage4.2.branches.3.3.conv2.weight': (256, 256, 3, 3),
        'stage4.2.fuse_layers.3.0.0.0.weight': (32, 32, 3, 3),
        'stage4.2.fuse_layers.3.0.2.0.weight': (256, 32, 3, 3),
    }
    for k, shape in expected.items():
        assert tuple(sd[k].shape) == shape, k
    # identity entries and unchanged-width transitions hold no weights
    assert 'transition2.0.0.weight' not in sd and 'stage2.0.fuse_layers.0.0.0.weight' not in sd
    assert len(m.stage3) == 4 and len(m.stage4) == 3


def test_tiny_hrnet_shapes_and_multiscale_output():
    m = HRNet(TINY).eval()
    with torch.no_grad():
        outs = m(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 4, 16, 16), (1, 8, 8, 8), (1, 16, 4, 4),
                                              (1, 32, 2, 2)]
    single = HRNet(TINY, multiscale_output=False).eval()
    assert len(single.stage4[0].fuse_layers) == 4 and len(single.stage4[1].fuse_layers) == 1
    with torch.no_grad():
        assert [tuple(o.shape) for o in single(torch.randn(1, 3, 64, 64))] == [(1, 4, 16, 16)]


def test_hr_module_fusion_by_hand():
    torch.manual_seed(0)
    mod = HRModule(3, BasicBlock, [1, 1, 1], [4, 8, 16], [4, 8, 16]).eval()
    x = [torch.randn(1, 4, 8, 8), torch.randn(1, 8, 4, 4), torch.randn(1, 16, 2, 2)]
    with torch.no_grad():
        b = [mod.branches[i](x[i]) for i in range(3)]
        up = mod.fuse_layers[0][2]  # 1x1 conv, norm, nearest x4
        y0 = b[0] + up[2](up[1](up[0](b[2]))) + mod.fuse_layers[0][1](b[1])
        down = mod.fuse_layers[2][0]  # two stride-2 convs from branch 0
        assert len(down) == 2 and down[0][0].out_channels == 4 and down[1][0].out_channels == 16
        assert len(down[1]) == 2  # the last step has no ReLU
        y2 = b[2] + down(b[0]) + mod.fuse_layers[2][1](b[1])
        out = mod([t.clone() for t in x])
    torch.testing.assert_close(out[0], F.relu(y0))
    torch.testing.assert_close(out[2], F.relu(y2))


def test_init_zero_residual_and_errors():
    m = HRNet(TINY, zero_init_residual=True)
    m.init_weights()
    assert torch.all(m.stage2[0].branches[0][0].bn2.weight == 0)
    assert torch.all(m.layer1[0].bn3.weight == 0) and torch.all(m.bn1.weight == 1)
    bad = dict(TINY, stage3=dict(TINY['stage3'], block='BASIK'))
    with pytest.raises(KeyError, match="did you mean 'BASIC'"):
        HRNet(bad)
    with pytest.raises(KeyError, match="missing 'stage4'"):
        HRNet({k: v for k, v in TINY.items() if k != 'stage4'})
    bad = dict(TINY, stage2=dict(TINY['stage2'], num_channels=(4,)))
    with pytest.raises(ValueError, match='num_branches=2'):
        HRNet(bad)
    with pytest.raises(ValueError, match=r'num_branches\(2\) != len\(in_channels\)\(1\)'):
        HRModule(2, BasicBlock, [1, 1], [4], [4, 8])
