"""build_linear_layer / NormedLinear: cosine classifier values (float64 reference)."""
import pytest
import torch
import torch.nn as nn

from detkit.models.layers import NormedLinear, build_linear_layer


def test_build_linear_layer():
    assert type(build_linear_layer(None, 4, 3)) is nn.Linear
    assert type(build_linear_layer(dict(type='Linear'), 4, 3)) is nn.Linear
    m = build_linear_layer(dict(type='NormedLinear', tempearture=10), 4, 3)
    assert isinstance(m, NormedLinear) and m.tempearture == 10
    with pytest.raises(KeyError, match="did you mean 'NormedLinear'"):
        build_linear_layer(dict(type='NormLinear'), 4, 3)


def test_normed_linear_values():
    torch.manual_seed(0)
    m = NormedLinear(4, 3, tempearture=20, power=1.0, eps=1e-6).double()
    assert torch.all(m.bias == 0) and abs(m.weight.std().item() - 0.01) < 0.01
    x = torch.randn(5, 4, dtype=torch.float64)
    w = m.weight / (m.weight.norm(dim=1, keepdim=True) + 1e-6)
    xn = x / (x.norm(dim=1, keepdim=True) + 1e-6)
    torch.testing.assert_close(m(x), 20 * xn @ w.T + m.bias)
    # cosine similarity times the temperature: bounded by it
    assert m(x).abs().max() <= 20
