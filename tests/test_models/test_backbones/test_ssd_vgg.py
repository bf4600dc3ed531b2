"""SSDVGG: torchvision VGG16 feature parity, SSD300 layout, errors."""
import pytest
import torch
import torch.nn as nn
from torchvision.models.vgg import cfgs, make_layers

from detkit.models.backbones import SSDVGG


def test_layout_and_torchvision_vgg16_parity():
    torch.manual_seed(0)
    m = SSDVGG(16).eval()
    assert len(m.features) == 35
    assert isinstance(m.features[30], nn.MaxPool2d) and m.features[30].stride == 1
    assert m.features[31].dilation == (6, 6) and m.features[31].weight.shape == (1024, 512, 3, 3)
    assert m.features[33].weight.shape == (1024, 1024, 1, 1)
    # torchvision's VGG16 feature extractor (its 100M-parameter classifier is not needed)
    tv = nn.Module()
    tv.features = make_layers(cfgs['D']).eval()
    # conv1_1 .. conv5_3 carry the same keys as torchvision's vgg16 features
    tv_sd = {k: v for k, v in tv.state_dict().items() if k.startswith('features.')}
    missing, unexpected = m.load_state_dict(tv_sd, strict=False)
    assert sorted(missing) == ['features.31.bias', 'features.31.weight',
                               'features.33.bias', 'features.33.weight']
    assert unexpected == []
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        conv4_3, fc7 = m(x)
        torch.testing.assert_close(conv4_3, tv.features[:23](x), atol=1e-5, rtol=1e-5)
        pool5 = nn.functional.max_pool2d(tv.features[:30](x), 3, 1, 1)
        ref_fc7 = torch.relu(m.features[33](torch.relu(m.features[31](pool5))))
        torch.testing.assert_close(fc7, ref_fc7, atol=1e-5, rtol=1e-5)
    assert conv4_3.shape == (1, 512, 8, 8) and fc7.shape == (1, 1024, 4, 4)


def test_ssd300_sizes_ceil_mode():
    m = SSDVGG(16, out_feature_indices=(22,)).eval()
    with torch.no_grad():
        # 75 -> 38 -> 19 with ceil_mode (SSD300's 300 -> 38 pattern at quarter size)
        out = m(torch.randn(1, 3, 75, 75))
    assert isinstance(out, torch.Tensor) and out.shape == (1, 512, 10, 10)


def test_init_and_errors():
    m = SSDVGG(11, out_feature_indices=(7,))
    assert m.init_cfg[0] == dict(type='Kaiming', layer='Conv2d')
    m.init_weights()
    with pytest.raises(KeyError, match='valid depths: 11, 13, 16, 19'):
        SSDVGG(17)
    with pytest.raises(ValueError, match='out_feature_indices'):
        SSDVGG(16, out_feature_indices=(22, 40))
    with pytest.warns(DeprecationWarning, match='moved to SSDNeck'):
        SSDVGG(16, l2_norm_scale=20.)
