import numpy as np
import pytest
import torch

from detkit.datasets.pipelines import Transpose


def test_transpose():
    a = np.arange(6).reshape(1, 2, 3)
    out = Transpose(keys=['a', 't'], order=[2, 0, 1])(dict(a=a, t=torch.from_numpy(a)))
    assert out['a'].shape == (3, 1, 2) and out['a'][2, 0, 1] == a[0, 1, 2]
    assert out['t'].shape == (3, 1, 2) and out['t'][2, 0, 1] == a[0, 1, 2]
    with pytest.raises(ValueError, match='does not fit'):
        Transpose(keys=['a'], order=[1, 0])(dict(a=a))
    with pytest.raises(KeyError, match="Transpose needs the key 'b'"):
        Transpose(keys=['b'], order=[0])({})
