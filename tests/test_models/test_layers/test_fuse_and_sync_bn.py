"""fuse_conv_bn (eval outputs unchanged) and revert_sync_batchnorm (state kept)."""
import torch
import torch.nn as nn

from detkit.models.backbones import ResNet
from detkit.models.layers import ConvModule, fuse_conv_bn, revert_sync_batchnorm


def _randomise_bn(model):
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def test_fuse_conv_bn_resnet_same_outputs():
    torch.manual_seed(0)
    m = ResNet(18, base_channels=8).eval()
    _randomise_bn(m)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ref = m(x)
        fuse_conv_bn(m)
        out = m(x)
    assert not any(isinstance(mod, nn.BatchNorm2d) for mod in m.modules())
    assert isinstance(m.layer1[0].bn1, nn.Identity)
    assert isinstance(m.layer2[0].downsample[1], nn.Identity)  # shortcut BN folded too
    for o, r in zip(out, ref):
        torch.testing.assert_close(o, r, atol=1e-5, rtol=1e-5)


def test_fuse_conv_module_without_bias_and_lonely_bn():
    cm = ConvModule(3, 4, 3, padding=1, norm_cfg=dict(type='BN')).eval()
    _randomise_bn(cm)
    x = torch.randn(2, 3, 5, 5)
    with torch.no_grad():
        ref = cm(x)
        fuse_conv_bn(cm)
        torch.testing.assert_close(cm(x), ref, atol=1e-6, rtol=1e-5)
    assert cm.conv.bias is not None
    seq = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU())  # no conv before: kept
    fuse_conv_bn(seq)
    assert isinstance(seq[0], nn.BatchNorm2d)


def test_revert_sync_batchnorm_keeps_state():
    m = ConvModule(3, 4, 1, norm_cfg=dict(type='SyncBN', requires_grad=False))
    _randomise_bn(m)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m = revert_sync_batchnorm(m)
    assert not any(isinstance(mod, nn.SyncBatchNorm) for mod in m.modules())
    assert isinstance(m.bn, nn.modules.batchnorm._BatchNorm)
    assert not m.bn.weight.requires_grad
    after = m.state_dict()
    assert list(after) == list(before)
    for k in before:
        assert torch.equal(after[k], before[k]), k
    m.train()
    y = m(torch.randn(4, 3, 2, 2))  # trains on CPU without a process group
    assert y.shape == (4, 4, 2, 2) and int(m.bn.num_batches_tracked) == 1
