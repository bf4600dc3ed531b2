"""Backbone + neck pairs as MMDetection configs write them: the channels line up end to end.

(Darknet-53 + YOLOV3Neck is covered by test_darknet.py and test_yolov3_neck.py separately:
building both costs more than the pairing is worth here.)
"""
import pytest
import torch

from detkit.models import build_backbone, build_neck

PAIRS = {
    'retinanet_regnetx-800MF_fpn': (
        dict(type='RegNet', arch='regnetx_800mf', out_indices=(0, 1, 2, 3), frozen_stages=1,
             norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch'),
        dict(type='FPN', in_channels=[64, 128, 288, 672], out_channels=32, num_outs=5,
             start_level=1, add_extra_convs='on_input'),
        [(32, 8), (32, 4), (32, 2), (32, 1), (32, 1)]),
    'yolox_tiny': (
        dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.375),
        dict(type='YOLOXPAFPN', in_channels=[96, 192, 384], out_channels=96, num_csp_blocks=1),
        [(96, 8), (96, 4), (96, 2)]),
    'ssdlite_mobilenetv2': (
        dict(type='MobileNetV2', out_indices=(4, 7),
             norm_cfg=dict(type='BN', eps=0.001, momentum=0.03)),
        dict(type='SSDNeck', in_channels=(96, 1280), out_channels=(96, 1280, 512, 256, 256, 128),
             level_strides=(2, 2, 2, 2), level_paddings=(1, 1, 1, 1), l2_norm_scale=None,
             use_depthwise=True, norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
             act_cfg=dict(type='ReLU6')),
        [(96, 4), (1280, 2), (512, 1), (256, 1), (256, 1), (128, 1)]),
    'yolof_r50_c5': (
        dict(type='ResNet', depth=18, out_indices=(3,), base_channels=16),
        dict(type='DilatedEncoder', in_channels=128, out_channels=32, block_mid_channels=8,
             num_residual_blocks=4, block_dilations=[2, 4, 6, 8]),
        [(32, 2)]),
}


@pytest.mark.parametrize('name', list(PAIRS))
def test_pair_runs(name):
    backbone_cfg, neck_cfg, expected = PAIRS[name]
    backbone = build_backbone(backbone_cfg).eval()
    neck = build_neck(neck_cfg).eval()
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 64, 64)))
    assert [(o.shape[1], o.shape[-1]) for o in outs] == expected
    assert all(torch.isfinite(o).all() for o in outs)


def test_mismatched_pair_names_both_sides():
    backbone = build_backbone(dict(type='ResNet', depth=18, base_channels=8)).eval()
    neck = build_neck(dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=8,
                           num_outs=5))
    with torch.no_grad(), pytest.raises(ValueError, match=r'FPN: in_channels=\[256, 512, 1024, '
                                                          r'2048\] but the input feature maps '
                                                          r'have channels \[8, 16, 32, 64\]'):
        neck(backbone(torch.randn(1, 3, 32, 32)))
