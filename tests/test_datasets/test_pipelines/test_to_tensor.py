import numpy as np
import pytest
import torch

from detkit.datasets.pipelines import ToTensor, to_tensor


def test_to_tensor_types():
    t = torch.ones(2)
    assert to_tensor(t) is t
    a = np.arange(3, dtype=np.float32)
    ta = to_tensor(a)
    a[0] = 7  # shares memory, as torch.from_numpy
    assert ta.dtype == torch.float32 and ta[0] == 7
    assert to_tensor([1, 2]).tolist() == [1, 2]
    assert to_tensor(3).dtype == torch.int64 and to_tensor(3).tolist() == [3]
    assert to_tensor(0.5).dtype == torch.float32 and to_tensor(0.5).tolist() == [0.5]
    with pytest.raises(TypeError, match='str'):
        to_tensor('abc')


def test_to_tensor_transform():
    out = ToTensor(keys=['a', 'b'])(dict(a=np.zeros((2, 2)), b=[1], c='keep'))
    assert isinstance(out['a'], torch.Tensor) and out['b'].tolist() == [1] and out['c'] == 'keep'
    with pytest.raises(KeyError, match="ToTensor needs the key 'd'"):
        ToTensor(keys=['d'])({})
