"""Darknet-53: layout (MMDetection keys), residual data flow, freezing, errors."""
import pytest
import torch

from detkit.models.backbones import Darknet
from detkit.models.layers.darknet_res_block import ResBlock


@pytest.fixture(scope='module')
def darknet():
    # one 40M-parameter build shared by the tests below (freezing does not change outputs)
    return Darknet(frozen_stages=2)


def test_layout_and_shapes(darknet):
    m = darknet.eval()
    assert m.cr_blocks == ['conv1'] + [f'conv_res_block{i}' for i in range(1, 6)]
    sd = m.state_dict()
    assert sd['conv1.conv.weight'].shape == (32, 3, 3, 3)
    assert sd['conv_res_block5.conv.conv.weight'].shape == (1024, 512, 3, 3)
    assert sd['conv_res_block5.res3.conv1.conv.weight'].shape == (512, 1024, 1, 1)
    assert 'conv_res_block5.res4.conv1.conv.weight' not in sd
    assert sum(len(getattr(m, n)) - 1 for n in m.cr_blocks[1:]) == 23  # 1+2+8+8+4
    # 52 convs + the classifier of Darknet-53 = 53
    assert sum(1 for k in sd if k.endswith('conv.weight')) == 52
    with torch.no_grad():
        outs = m(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 8, 8), (1, 512, 4, 4), (1, 1024, 2, 2)]
    assert m.conv1.activate.negative_slope == 0.1


def test_res_block():
    b = ResBlock(8).eval()
    x = torch.randn(1, 8, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(b(x), x + b.conv2(b.conv1(x)))
    with pytest.raises(ValueError, match='even'):
        ResBlock(7)


def test_frozen_and_errors(darknet):
    m = darknet.train()
    assert not any(p.requires_grad for p in m.conv1.parameters())
    assert not any(p.requires_grad for p in m.conv_res_block1.parameters())
    assert all(p.requires_grad for p in m.conv_res_block2.parameters())
    with pytest.raises(KeyError, match='invalid depth 21 for Darknet; valid depths: 53'):
        Darknet(depth=21)
    with pytest.raises(ValueError, match=r'frozen_stages must be in -1\.\.6'):
        Darknet(frozen_stages=7)
