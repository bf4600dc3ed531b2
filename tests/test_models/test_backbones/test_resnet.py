"""ResNet / ResNetV1d / ResNeXt: torchvision parity, MMDetection checkpoint keys, options."""
import json
import pathlib

import pytest
import torch
import torch.nn as nn
import torchvision

from detkit.models import build_backbone
from detkit.models.backbones import ResNet, ResNetV1d, ResNeXt

COMPAT = pathlib.Path('/work/shared/compat')


def compat_entries(name, prefix):
    sd = json.loads((COMPAT / f'{name}.json').read_text())['state_dict']
    return [(k[len(prefix):], s) for k, s in sd if k.startswith(prefix)]


def our_entries(module):
    return [(k, list(v.shape)) for k, v in module.state_dict().items()]


def tv_stages(tv, x):
    y = tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))
    outs = []
    for layer in (tv.layer1, tv.layer2, tv.layer3, tv.layer4):
        y = layer(y)
        outs.append(y)
    return outs


@pytest.mark.parametrize('depth', [18, 34, 50, 101])
def test_keys_equal_torchvision(depth):
    with torch.device('meta'):  # keys and shapes only: skip allocation and init
        tv = getattr(torchvision.models, f'resnet{depth}')()
        ours = ResNet(depth)
    tv_entries = [(k, list(v.shape)) for k, v in tv.state_dict().items()
                  if not k.startswith('fc.')]
    assert our_entries(ours) == tv_entries


def test_torchvision_resnet50_weights_give_same_features():
    torch.manual_seed(0)
    tv = torchvision.models.resnet50().eval()
    # make the BN statistics non-trivial so a wrong mapping would show
    for m in tv.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    sd = {k: v for k, v in tv.state_dict().items() if not k.startswith('fc.')}
    ours = ResNet(50).eval()
    ours.load_state_dict(sd, strict=True)
    # float64 on both sides: our eval-mode BN is folded into the convs (conv_norm), which
    # rounds differently in float32 (~1e-5 after 50 layers); in float64 a wrong mapping
    # still shows and rounding does not
    tv.double()
    ours.double()
    x = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    with torch.no_grad():
        outs = ours(x)
        ref = tv_stages(tv, x)
    assert [tuple(o.shape) for o in outs] == [(1, 256, 16, 16), (1, 512, 8, 8),
                                              (1, 1024, 4, 4), (1, 2048, 2, 2)]
    for o, r in zip(outs, ref):
        torch.testing.assert_close(o, r, atol=1e-10, rtol=1e-10)


def test_pretrained_torchvision_file(tmp_path):
    # torchvision's file keeps 'fc.*': it is reported as unexpected, the rest loads
    torch.manual_seed(0)
    tv = torchvision.models.resnet18().eval()
    path = tmp_path / 'resnet18.pth'
    torch.save(tv.state_dict(), path)
    m = ResNet(18, init_cfg=dict(type='Pretrained', checkpoint=str(path))).eval()
    m.init_weights()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(m(x)[3], tv_stages(tv, x)[3], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('config', ['retinanet_r50_fpn_1x_coco', 'faster_rcnn_r50_fpn_1x_coco',
                                    'mask_rcnn_r50_fpn_1x_coco'])
def test_mmdet_pytorch_style_keys(config):
    cfg = dict(type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=1,
               norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch',
               init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))
    with torch.device('meta'):
        m = build_backbone(cfg)
    assert our_entries(m) == compat_entries(config, 'backbone.')


def test_mmdet_caffe_style_keys_and_stride_position():
    cfg = dict(type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=1,
               norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True, style='caffe',
               init_cfg=dict(type='Pretrained',
                             checkpoint='open-mmlab://detectron2/resnet50_caffe'))
    with torch.device('meta'):
        m = build_backbone(cfg)
    assert our_entries(m) == compat_entries('fcos_r50_caffe_fpn_gn-head_1x_coco', 'backbone.')
    assert m.layer2[0].conv1.stride == (2, 2) and m.layer2[0].conv2.stride == (1, 1)
    assert not m.bn1.weight.requires_grad and not m.layer4[0].bn3.weight.requires_grad
    with torch.device('meta'):
        assert ResNet(50).layer2[0].conv2.stride == (2, 2)


def test_default_init_zero_residual():
    torch.manual_seed(0)
    m = ResNet(50)
    m.init_weights()
    assert torch.all(m.layer1[0].bn3.weight == 0) and torch.all(m.layer1[0].bn3.bias == 0)
    assert torch.all(m.layer1[0].bn1.weight == 1) and torch.all(m.bn1.weight == 1)
    w = m.layer3[0].conv2.weight  # kaiming normal, fan_out = 256 * 9
    assert abs(w.std().item() / (2 / (256 * 9)) ** 0.5 - 1) < 0.05
    m = ResNet(18)
    m.init_weights()
    assert torch.all(m.layer2[1].bn2.weight == 0)
    m = ResNet(18, zero_init_residual=False)
    m.init_weights()
    assert torch.all(m.layer2[1].bn2.weight == 1)


def test_frozen_stages_and_norm_eval():
    m = ResNet(18, frozen_stages=1)
    m.train()
    for p in list(m.conv1.parameters()) + list(m.bn1.parameters()) + list(m.layer1.parameters()):
        assert not p.requires_grad
    assert all(p.requires_grad for p in m.layer2.parameters())
    assert not m.layer1.training and not m.bn1.training
    assert not m.layer2[0].bn1.training  # norm_eval keeps every BN in eval mode
    assert m.layer2[0].training
    m = ResNet(18, norm_eval=False).train()
    assert m.layer2[0].bn1.training
    m = ResNetV1d(depth=18, frozen_stages=0)
    assert not any(p.requires_grad for p in m.stem.parameters())


def test_resnet_v1d_and_stem_options():
    m = ResNetV1d(depth=50).eval()
    keys = list(m.state_dict())
    assert keys[:2] == ['stem.0.weight', 'stem.1.weight']
    assert m.stem[0].weight.shape == (32, 3, 3, 3) and m.stem[6].weight.shape == (64, 32, 3, 3)
    assert isinstance(m.layer2[0].downsample[0], nn.AvgPool2d)
    assert m.layer2[0].downsample[1].weight.shape == (512, 256, 1, 1)
    assert m.layer2[0].downsample[1].stride == (1, 1)
    with torch.no_grad():
        outs = ResNetV1d(depth=18, base_channels=8).eval()(torch.randn(1, 3, 32, 32))
    assert [o.shape[-1] for o in outs] == [8, 4, 2, 1]
    m = ResNet(18, in_channels=1, stem_channels=32, base_channels=16, num_stages=3,
               strides=(1, 2, 1), dilations=(1, 1, 2), out_indices=(1, 2))
    outs = m(torch.randn(2, 1, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 8, 8), (2, 64, 8, 8)]
    assert m.layer3[0].conv1.dilation == (2, 2) and m.conv1.weight.shape == (32, 1, 7, 7)
    with pytest.raises(TypeError, match="unexpected argument 'deepth'.*did you mean 'depth'"):
        ResNetV1d(deepth=50)
    with pytest.raises(TypeError, match='fixes deep_stem'):
        ResNetV1d(depth=50, deep_stem=False)


def test_resnext_matches_torchvision():
    torch.manual_seed(0)
    tv = torchvision.models.resnext50_32x4d().eval()
    m = ResNeXt(depth=50, groups=32, base_width=4).eval()
    sd = {k: v for k, v in tv.state_dict().items() if not k.startswith('fc.')}
    assert our_entries(m) == [(k, list(v.shape)) for k, v in sd.items()]
    m.load_state_dict(sd, strict=True)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(m(x)[3], tv_stages(tv, x)[3], atol=1e-5, rtol=1e-5)
    assert m.layer1[0].conv2.groups == 32 and m.layer1[0].conv2.weight.shape == (128, 4, 3, 3)
    with pytest.raises(KeyError, match='valid depths: 50, 101, 152'):
        ResNeXt(depth=18)


def test_with_cp_same_values_and_grads():
    torch.manual_seed(0)
    a = ResNet(18, base_channels=8, norm_eval=False)
    b = ResNet(18, base_channels=8, with_cp=True, norm_eval=False)
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    ya, yb = a(x)[-1], b(x)[-1]
    torch.testing.assert_close(ya, yb)
    ya.sum().backward()
    ga = a.layer2[0].conv1.weight.grad.clone()
    yb.sum().backward()
    torch.testing.assert_close(b.layer2[0].conv1.weight.grad, ga)


def test_plugins():
    plugin = dict(cfg=dict(type='ConvModule', out_channels=128, kernel_size=1, act_cfg=None),
                  position='after_conv2', stages=(False, True, False, False))
    m = ResNet(50, plugins=[plugin]).eval()
    assert hasattr(m.layer2[0], 'conv_block') and not hasattr(m.layer1[0], 'conv_block')
    assert 'layer2.0.conv_block.conv.weight' in m.state_dict()
    assert m(torch.randn(1, 3, 32, 32))[1].shape == (1, 512, 4, 4)
    with pytest.raises(ValueError, match='plugin position'):
        ResNet(50, plugins=[dict(plugin, position='after_conv4')])


def test_bad_arguments():
    with pytest.raises(KeyError, match=r'invalid depth 42 for ResNet; valid depths: 18, 34, 50'):
        ResNet(42)
    with pytest.raises(ValueError, match=r'frozen_stages must be in -1\.\.4.*got 5'):
        ResNet(18, frozen_stages=5)
    with pytest.raises(ValueError, match='out_indices'):
        ResNet(18, out_indices=(0, 4))
    with pytest.raises(ValueError, match="dcn=.*not supported.*no deformable convolution"):
        ResNet(50, dcn=dict(type='DCNv2', deform_groups=1))
    with pytest.raises(ValueError, match="did you mean 'caffe'"):
        ResNet(50, style='cafe')
    with pytest.raises(ValueError, match='cannot be given together'):
        ResNet(50, pretrained='x.pth', init_cfg=dict(type='Kaiming'))
    with pytest.warns(DeprecationWarning, match='pretrained is deprecated'):
        m = ResNet(18, pretrained='torchvision://resnet18')
    assert m.init_cfg == dict(type='Pretrained', checkpoint='torchvision://resnet18')
