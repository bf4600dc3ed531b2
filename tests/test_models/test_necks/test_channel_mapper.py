"""ChannelMapper: per-level convs, extra levels, errors."""
import pytest
import torch

from detkit.models.necks import ChannelMapper


def test_values_and_extra_levels():
    m = ChannelMapper([8, 16], 4, kernel_size=1, num_outs=4).eval()
    assert m.convs[0].conv.weight.shape == (4, 8, 1, 1)
    assert m.extra_convs[0].conv.weight.shape == (4, 16, 3, 3)
    assert m.extra_convs[1].conv.weight.shape == (4, 4, 3, 3)
    x = (torch.randn(1, 8, 8, 8), torch.randn(1, 16, 4, 4))
    with torch.no_grad():
        outs = m(x)
        torch.testing.assert_close(outs[0], m.convs[0](x[0]))
        torch.testing.assert_close(outs[2], m.extra_convs[0](x[1]))  # from the last input
        torch.testing.assert_close(outs[3], m.extra_convs[1](outs[2]))
    assert outs[0].min() >= 0  # default ReLU
    assert [o.shape[-1] for o in outs] == [8, 4, 2, 1]
    assert ChannelMapper([8, 16], 4).extra_convs is None


def test_errors():
    m = ChannelMapper([8, 16], 4)
    with pytest.raises(ValueError, match=r'in_channels=\[8, 16\].*channels \[8, 12\]'):
        m((torch.randn(1, 8, 8, 8), torch.randn(1, 12, 4, 4)))
    with pytest.raises(ValueError, match='num_outs=1'):
        ChannelMapper([8, 16], 4, num_outs=1)
    with pytest.raises(TypeError, match='list of ints'):
        ChannelMapper(8, 4)
