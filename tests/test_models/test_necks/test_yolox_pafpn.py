"""YOLOXPAFPN: MMDetection yolox_s keys, data flow, errors."""
import json
import pathlib

import pytest
import torch

from detkit.models import build_neck
from detkit.models.necks import YOLOXPAFPN

COMPAT = pathlib.Path('/work/shared/compat')


def test_yolox_s_keys_match_mmdet():
    sd = json.loads((COMPAT / 'yolox_s_8x8_300e_coco.json').read_text())['state_dict']
    ref = [(k[len('neck.'):], s) for k, s in sd if k.startswith('neck.')]
    with torch.device('meta'):
        m = build_neck(dict(type='YOLOXPAFPN', in_channels=[128, 256, 512], out_channels=128,
                            num_csp_blocks=1))
    assert [(k, list(v.shape)) for k, v in m.state_dict().items()] == ref


def test_data_flow_two_levels():
    m = YOLOXPAFPN([4, 8], 6, num_csp_blocks=1).eval()
    x = (torch.randn(1, 4, 8, 8), torch.randn(1, 8, 4, 4))
    with torch.no_grad():
        high = m.reduce_layers[0](x[1])
        p3 = m.top_down_blocks[0](torch.cat([high.repeat_interleave(2, 2).repeat_interleave(2, 3),
                                             x[0]], 1))
        p4 = m.bottom_up_blocks[0](torch.cat([m.downsamples[0](p3), high], 1))
        outs = m(x)
    torch.testing.assert_close(outs[0], m.out_convs[0](p3))
    torch.testing.assert_close(outs[1], m.out_convs[1](p4))


def test_wrong_inputs():
    m = YOLOXPAFPN([4, 8, 16], 6, num_csp_blocks=1)
    with pytest.raises(ValueError, match=r'3 input levels.*got 2 feature maps'):
        m((torch.randn(1, 4, 8, 8), torch.randn(1, 8, 4, 4)))
