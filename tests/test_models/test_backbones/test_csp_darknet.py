"""CSPDarknet: MMDetection yolox_s keys, shapes, freezing, errors."""
import json
import pathlib

import pytest
import torch

from detkit.models import build_backbone
from detkit.models.backbones import CSPDarknet

COMPAT = pathlib.Path('/work/shared/compat')


def test_yolox_s_keys_match_mmdet():
    sd = json.loads((COMPAT / 'yolox_s_8x8_300e_coco.json').read_text())['state_dict']
    ref = [(k[len('backbone.'):], s) for k, s in sd if k.startswith('backbone.')]
    with torch.device('meta'):
        m = build_backbone(dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.5))
    assert [(k, list(v.shape)) for k, v in m.state_dict().items()] == ref


def test_shapes_and_out_indices():
    m = CSPDarknet(deepen_factor=0.33, widen_factor=0.25, out_indices=(0, 1, 2, 3, 4)).eval()
    with torch.no_grad():
        outs = m(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 16, 32, 32), (1, 32, 16, 16), (1, 64, 8, 8),
                                              (1, 128, 4, 4), (1, 256, 2, 2)]
    p6 = CSPDarknet(arch='P6', deepen_factor=0.33, widen_factor=0.25, out_indices=(5,)).eval()
    assert p6.stage4[0].conv.weight.shape == (192, 128, 3, 3)
    assert p6(torch.randn(1, 3, 64, 64))[0].shape == (1, 256, 1, 1)
    dw = CSPDarknet(deepen_factor=0.33, widen_factor=0.25, use_depthwise=True,
                    spp_kernal_sizes=(3, 5))
    assert dw.stage1[0].depthwise_conv.conv.groups == 16
    assert len(dw.stage4[1].poolings) == 2


def test_frozen_stages_norm_eval_and_init():
    m = CSPDarknet(deepen_factor=0.33, widen_factor=0.25, frozen_stages=1, norm_eval=True)
    m.train()
    assert not any(p.requires_grad for p in m.stem.parameters())
    assert not any(p.requires_grad for p in m.stage1.parameters())
    assert all(p.requires_grad for p in m.stage2.parameters())
    assert not m.stage1.training and not m.stage2[0].bn.training
    torch.manual_seed(0)
    m.init_weights()
    # kaiming uniform, a=sqrt(5), fan_in: bound = 1 / sqrt(fan_in)
    w = m.stage3[0].conv.weight
    bound = 1 / (w.shape[1] * 9) ** 0.5
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound


def test_bad_arguments():
    with pytest.raises(KeyError, match="invalid arch 'P7' for CSPDarknet; valid archs: P5, P6"):
        CSPDarknet(arch='P7')
    with pytest.raises(ValueError, match=r'frozen_stages must be in -1\.\.4'):
        CSPDarknet(frozen_stages=5)
    with pytest.raises(ValueError, match='out_indices'):
        CSPDarknet(out_indices=(2, 5))
