"""init_cfg semantics (seed manual, Tutorial 10) and each initializer's effect."""
import math

import pytest
import torch
import torch.nn as nn

from detkit.models.layers import BaseModule, ModuleList, Sequential, bias_init_with_prob, initialize


class FooModule(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.feat = nn.Conv1d(3, 1, 3)
        self.reg = nn.Conv2d(3, 3, 3)
        self.cls = nn.Linear(1, 2)


def _all(t, v):
    return bool(torch.all(t == v))


def test_constant_layer_list():
    m = FooModule(dict(type='Constant', layer=['Conv1d', 'Conv2d', 'Linear'], val=1))
    m.init_weights()
    for layer in (m.feat, m.reg, m.cls):
        assert _all(layer.weight, 1) and _all(layer.bias, 0)
    assert m.is_init


def test_list_of_cfgs_by_layer():
    m = FooModule([dict(type='Constant', layer='Conv1d', val=1),
                   dict(type='Constant', layer='Conv2d', val=2),
                   dict(type='Constant', layer='Linear', val=3)])
    m.init_weights()
    assert _all(m.feat.weight, 1) and _all(m.reg.weight, 2) and _all(m.cls.weight, 3)


def test_override_with_own_args():
    m = FooModule(dict(type='Constant', layer=['Conv1d', 'Conv2d'], val=1, bias=2,
                       override=dict(type='Constant', name='reg', val=3, bias=4)))
    m.init_weights()
    assert _all(m.feat.weight, 1) and _all(m.feat.bias, 2)
    assert _all(m.reg.weight, 3) and _all(m.reg.bias, 4)


def test_override_name_only_uses_parent_args():
    torch.manual_seed(0)
    m = FooModule(dict(type='Constant', val=1, bias=2, override=dict(name='reg')))
    feat_before = m.feat.weight.clone()
    m.init_weights()
    assert _all(m.reg.weight, 1) and _all(m.reg.bias, 2)
    assert torch.equal(m.feat.weight, feat_before)  # no layer key: untouched


def test_invalid_overrides():
    m = FooModule(dict(type='Constant', layer=['Conv1d', 'Conv2d'], val=1, bias=2,
                       override=dict(type='Constant', val=3, bias=4)))
    with pytest.raises(ValueError, match='"name"'):
        m.init_weights()
    m = FooModule(dict(type='Constant', layer=['Conv1d', 'Conv2d'], val=1, bias=2,
                       override=dict(name='reg', val=3, bias=4)))
    with pytest.raises(ValueError, match='"type"'):
        m.init_weights()
    m = FooModule(dict(type='Constant', val=1, override=dict(name='rge')))
    with pytest.raises(RuntimeError, match="did you mean 'reg'"):
        m.init_weights()
    with pytest.raises(KeyError, match="did you mean 'Constant'"):
        initialize(nn.Conv2d(1, 1, 1), dict(type='Constan', val=1))


def test_bias_prob():
    m = FooModule(dict(type='Normal', layer='Conv2d', std=0.01, bias_prob=0.01))
    m.init_weights()
    assert torch.allclose(m.reg.bias, torch.full((3,), -math.log(0.99 / 0.01)))
    assert bias_init_with_prob(0.01) == pytest.approx(-4.59511985013459)
    with pytest.raises(ValueError):
        bias_init_with_prob(1.0)


def test_layer_matches_base_class_name():
    # '_BatchNorm' is the base class of BatchNorm2d; ResNet's default init relies on it
    m = nn.Sequential(nn.BatchNorm2d(4), nn.GroupNorm(2, 4))
    initialize(m, dict(type='Constant', val=3, layer=['_BatchNorm', 'GroupNorm']))
    assert _all(m[0].weight, 3) and _all(m[1].weight, 3)


@pytest.mark.parametrize('cfg,check', [
    (dict(type='Normal', mean=1.0, std=0.5),
     lambda w: abs(w.mean() - 1) < 0.02 and abs(w.std() - 0.5) < 0.02),
    (dict(type='Uniform', a=2.0, b=3.0),
     lambda w: w.min() >= 2 and w.max() <= 3 and abs(w.mean() - 2.5) < 0.02),
    (dict(type='TruncNormal', mean=0.0, std=1.0, a=-0.5, b=0.5),
     lambda w: w.min() >= -0.5 and w.max() <= 0.5 and w.std() > 0.2),
    # xavier normal: std = gain * sqrt(2 / (fan_in + fan_out)), fans 64*9, 64*9
    (dict(type='Xavier', gain=2.0), lambda w: abs(w.std() / (2 * math.sqrt(2 / 1152)) - 1) < 0.03),
    (dict(type='Xavier', distribution='uniform'),
     lambda w: w.abs().max() <= math.sqrt(6 / 1152) and w.abs().max() > 0.95 * math.sqrt(6 / 1152)),
    # kaiming normal, fan_out (mmcv's default): std = sqrt(2 / (64 * 9))
    (dict(type='Kaiming'), lambda w: abs(w.std() / math.sqrt(2 / 576) - 1) < 0.03),
    (dict(type='Kaiming', mode='fan_in', distribution='uniform', a=1, nonlinearity='leaky_relu'),
     lambda w: w.abs().max() <= math.sqrt(3 / 576)),
    # caffe2 xavier: U(-sqrt(3 / fan_in), sqrt(3 / fan_in))
    (dict(type='Caffe2Xavier'),
     lambda w: w.abs().max() <= math.sqrt(3 / 576) and w.abs().max() > 0.95 * math.sqrt(3 / 576)),
])
def test_initializer_statistics(cfg, check):
    torch.manual_seed(0)
    conv = nn.Conv2d(64, 64, 3)
    initialize(nn.Sequential(conv), dict(cfg, layer='Conv2d', bias=0.5))
    assert check(conv.weight.detach()), cfg
    assert _all(conv.bias, 0.5)


class Parent(BaseModule):
    def __init__(self, init_cfg=None, child_cfg=None):
        super().__init__(init_cfg)
        self.child = FooModule(child_cfg)
        self.plain = nn.ModuleList([nn.Conv2d(1, 1, 1)])
        self.seq = Sequential(nn.Conv2d(1, 1, 1), init_cfg=dict(type='Constant', val=7,
                                                                layer='Conv2d'))
        self.mlist = ModuleList([nn.Linear(1, 1)], init_cfg=dict(type='Constant', val=8,
                                                                 layer='Linear'))


def test_child_init_cfg_wins_and_containers():
    m = Parent(dict(type='Constant', val=1, layer=['Conv2d', 'Linear']),
               child_cfg=dict(type='Constant', val=5, layer='Conv2d'))
    m.init_weights()
    assert _all(m.child.reg.weight, 5)      # child's own cfg, applied after the parent's
    assert _all(m.child.cls.weight, 1)      # only the parent's cfg touched it
    assert _all(m.plain[0].weight, 1)
    assert _all(m.seq[0].weight, 7) and _all(m.mlist[0].weight, 8)
    with pytest.warns(UserWarning, match='more than once'):
        m.init_weights()


def test_pretrained_loads_with_prefix_and_stops_children(tmp_path):
    src = FooModule()
    for p in src.parameters():
        nn.init.constant_(p, 0.25)
    path = tmp_path / 'det.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()}
                | {'neck.x': torch.zeros(1)}}, path)
    m = FooModule(dict(type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    m.init_weights()
    for p in m.parameters():
        assert _all(p, 0.25)
    # a parent's Pretrained init is not overwritten by the children's init_weights
    torch.save({'state_dict': {f'child.{k}': v for k, v in src.state_dict().items()}}, path)
    p = Parent(dict(type='Pretrained', checkpoint=str(path)),
               child_cfg=dict(type='Constant', val=5, layer='Conv2d'))
    p.init_weights()
    assert _all(p.child.reg.weight, 0.25)
    m = FooModule(dict(type='Pretrained', checkpoint=str(path), prefix='backbone'))
    with pytest.raises(KeyError, match="'backbone.' is not in the checkpoint"):
        m.init_weights()
