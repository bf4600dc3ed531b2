import pytest
import torch.nn as nn
from torch.utils.data import DataLoader

from detkit.engine import NumClassCheckHook

from .._toy import ToyDataset, ToyModel, toy_loader
from ._run import make_runner


class RPNHead(nn.Module):
    num_classes = 1  # class-agnostic: exempt from the check


def test_mismatch_names_the_head_and_the_classes():
    model = ToyModel(num_classes=3)
    model.rpn_head = RPNHead()
    runner = make_runner(model=model, epochs=1)
    runner.register_hook(NumClassCheckHook())
    with pytest.raises(ValueError) as e:
        runner.run([toy_loader()], [('train', 1)])
    msg = str(e.value)
    assert 'num_classes` (3)' in msg and 'model.bbox_head' in msg
    assert "ToyDataset: ('a', 'b')" in msg and 'num_classes=2' in msg


def test_matching_and_exempt_heads_pass():
    model = ToyModel(num_classes=2)
    model.rpn_head = RPNHead()
    runner = make_runner(model=model, epochs=1)
    runner.register_hook(NumClassCheckHook())
    runner.run([toy_loader(), toy_loader()], [('train', 1), ('val', 1)])
    assert runner.epoch == 1


def test_classes_must_be_a_tuple():
    ds = ToyDataset()
    ds.CLASSES = 'person'
    runner = make_runner(epochs=1)
    runner.register_hook(NumClassCheckHook())
    with pytest.raises(TypeError, match=r"CLASSES = \('person',\)"):
        runner.run([DataLoader(ds, batch_size=2)], [('train', 1)])
