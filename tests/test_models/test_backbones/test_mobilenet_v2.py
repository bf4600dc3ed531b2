"""MobileNetV2: parity with torchvision's mobilenet_v2, options, errors."""
import pytest
import torch
import torchvision

from detkit.models.backbones import MobileNetV2
from detkit.models.layers.make_divisible import make_divisible


def test_make_divisible():
    assert make_divisible(32 * 0.5, 8) == 16
    assert make_divisible(24 * 0.75, 8) == 24  # 18 -> 16 would drop > 10%: bumped to 24
    assert make_divisible(3, 8) == 8
    assert make_divisible(100, 8) == 104


def test_matches_torchvision_mobilenet_v2():
    torch.manual_seed(0)
    tv = torchvision.models.mobilenet_v2().eval()
    ours = MobileNetV2(out_indices=(0, 1, 2, 3, 4, 5, 6, 7)).eval()
    tv_items = [(k, v) for k, v in tv.state_dict().items() if k.startswith('features.')]
    our_keys = list(ours.state_dict())
    assert len(tv_items) == len(our_keys)
    # same layers in the same order: copy by position, checking shapes
    sd = {}
    for k, (tk, tv_val) in zip(our_keys, tv_items):
        assert ours.state_dict()[k].shape == tv_val.shape, (k, tk)
        sd[k] = tv_val
    ours.load_state_dict(sd, strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        outs = ours(x)
        feats = []
        y = x
        for f in tv.features:
            y = f(y)
            feats.append(y)
    # layer ends: blocks 1, 3, 6, 10, 13, 16, 17 and the last 1x1 conv (index 18)
    for o, idx in zip(outs, (1, 3, 6, 10, 13, 16, 17, 18)):
        torch.testing.assert_close(o, feats[idx], atol=1e-5, rtol=1e-5)
    assert list(ours.state_dict())[:2] == ['conv1.conv.weight', 'conv1.bn.weight']
    assert 'layer2.0.expand_conv.conv.weight' in ours.state_dict()
    assert 'layer1.0.expand_conv.conv.weight' not in ours.state_dict()  # expand ratio 1


def test_widen_factor_frozen_and_errors():
    m = MobileNetV2(widen_factor=0.5, frozen_stages=2, norm_eval=True).train()
    assert m.conv1.conv.weight.shape == (16, 3, 3, 3)
    assert m.conv2.conv.weight.shape == (1280, 160, 1, 1)
    assert not any(p.requires_grad for p in m.layer2.parameters())
    assert all(p.requires_grad for p in m.layer3.parameters())
    assert not m.layer3[0].linear_conv.bn.training
    assert MobileNetV2(widen_factor=1.5).out_channel == 1920
    with pytest.raises(ValueError, match=r'out_indices must be a subset of 0\.\.7'):
        MobileNetV2(out_indices=(8,))
    with pytest.raises(ValueError, match=r'frozen_stages must be in -1\.\.7'):
        MobileNetV2(frozen_stages=8)


def test_with_cp_same_output():
    torch.manual_seed(0)
    a = MobileNetV2(widen_factor=0.25, out_indices=(2,))
    b = MobileNetV2(widen_factor=0.25, out_indices=(2,), with_cp=True)
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    torch.testing.assert_close(a(x)[0], b(x)[0])
