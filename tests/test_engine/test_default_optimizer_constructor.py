import pytest
import torch
import torch.nn as nn

from detkit.engine import DefaultOptimizerConstructor, build_optimizer
from detkit.registry import OPTIMIZERS

BASE_LR, BASE_WD = 0.01, 1e-4


class DeformConv2d(nn.Module):
    """Stands in for mmcv's DeformConv2d (recognised by class name)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(4, 4, 3, 3))
        self.conv_offset = nn.Conv2d(4, 18, 3)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.dw = nn.Conv2d(4, 4, 3, groups=4)
        self.dcn = DeformConv2d()
        self.head = nn.Linear(4, 2)
        self.frozen = nn.Linear(1, 1)
        self.frozen.requires_grad_(False)
        self.sub = nn.Module()
        self.sub.gn = nn.GroupNorm(2, 4)


def _groups(model, paramwise_cfg, **optim):
    cfg = dict(type='SGD', lr=BASE_LR, weight_decay=BASE_WD, momentum=0.9, **optim)
    optimizer = build_optimizer(model, dict(cfg, paramwise_cfg=paramwise_cfg))
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for g in optimizer.param_groups:
        assert len(g['params']) == 1
        out[names[id(g['params'][0])]] = (g['lr'], g['weight_decay'])
    return optimizer, out


def test_paramwise_rules():
    model = Net()
    paramwise = dict(
        bias_lr_mult=2.0,
        bias_decay_mult=0.5,
        norm_decay_mult=0.0,
        dwconv_decay_mult=0.1,
        dcn_offset_lr_mult=0.1,
        custom_keys={'head': dict(lr_mult=0.1, decay_mult=0.0)},
    )
    _, got = _groups(model, paramwise)
    expected = {
        'conv1.weight': (0.01, 1e-4),
        'conv1.bias': (0.02, 0.5e-4),  # bias_lr_mult, bias_decay_mult
        'bn.weight': (0.01, 0.0),  # norm_decay_mult
        'bn.bias': (0.01, 0.0),  # norm biases keep the base lr
        'dw.weight': (0.01, 1e-5),  # dwconv_decay_mult
        'dw.bias': (0.02, 1e-5),  # dwconv decay wins over bias decay
        'dcn.weight': (0.01, 1e-4),
        'dcn.conv_offset.weight': (0.001, 1e-4),  # dcn_offset_lr_mult
        'dcn.conv_offset.bias': (0.001, 1e-4),  # no bias rules inside a DCN
        'head.weight': (0.001, 0.0),  # custom key: no other rule applies
        'head.bias': (0.001, 0.0),
        'frozen.weight': (0.01, 1e-4),  # requires_grad=False: base settings
        'frozen.bias': (0.01, 1e-4),
        'sub.gn.weight': (0.01, 0.0),
        'sub.gn.bias': (0.01, 0.0),
    }
    assert set(got) == set(expected)
    for name, (lr, wd) in expected.items():
        assert got[name][0] == pytest.approx(lr, rel=1e-12), name
        assert got[name][1] == pytest.approx(wd, rel=1e-12, abs=0), name


def test_custom_keys_longest_match_first():
    model = nn.Module()
    model.backbone = nn.Module()
    model.backbone.layer1 = nn.Linear(2, 2, bias=False)
    model.backbone.layer2 = nn.Linear(2, 2, bias=False)
    _, got = _groups(
        model,
        dict(
            custom_keys={
                'backbone': dict(lr_mult=0.5),
                'backbone.layer1': dict(lr_mult=0.1, decay_mult=2.0),
            }
        ),
    )
    assert got['backbone.layer1.weight'] == (pytest.approx(0.001), pytest.approx(2e-4))
    assert got['backbone.layer2.weight'] == (pytest.approx(0.005), pytest.approx(1e-4))


def test_no_paramwise_cfg_is_one_group():
    model = Net()
    optimizer = build_optimizer(model, dict(type='SGD', lr=0.1, momentum=0.9))
    assert len(optimizer.param_groups) == 1
    assert len(optimizer.param_groups[0]['params']) == len(list(model.parameters()))
    assert type(optimizer) is torch.optim.SGD and optimizer.defaults['momentum'] == 0.9


def test_bypass_duplicate():
    model = nn.Module()
    model.a = nn.Linear(2, 2)
    model.b = nn.Module()
    model.b.shared = model.a  # the same parameters reached twice by add_params
    constructor = DefaultOptimizerConstructor(dict(type='SGD', lr=0.1), dict(bypass_duplicate=True))
    with pytest.warns(UserWarning, match='bypass_duplicate=True'):
        optimizer = constructor(model)
    assert sum(len(g['params']) for g in optimizer.param_groups) == 2
    with pytest.raises(ValueError, match='more than one parameter group'):
        DefaultOptimizerConstructor(dict(type='SGD', lr=0.1), dict(bias_lr_mult=1.0))(model)


def test_every_torch_optimizer_is_registered():
    for name in ('SGD', 'Adam', 'AdamW', 'RMSprop', 'Adadelta', 'Adagrad'):
        assert OPTIMIZERS.get(name) is getattr(torch.optim, name)
    opt = build_optimizer(nn.Linear(2, 2), dict(type='AdamW', lr=1e-3, weight_decay=0.05))
    assert type(opt) is torch.optim.AdamW and opt.defaults['weight_decay'] == 0.05


def test_config_errors():
    with pytest.raises(ValueError, match='needs weight_decay'):
        DefaultOptimizerConstructor(dict(type='SGD', lr=0.1), dict(norm_decay_mult=0.0))
    with pytest.raises(ValueError, match='needs weight_decay'):
        DefaultOptimizerConstructor(
            dict(type='SGD', lr=0.1), dict(custom_keys={'a': dict(decay_mult=0.0)})
        )
    with pytest.raises(KeyError, match="did you mean 'bias_lr_mult'"):
        DefaultOptimizerConstructor(dict(type='SGD', lr=0.1), dict(bias_lr_mul=2.0))
    with pytest.raises(KeyError, match="'SDG' is not in the optimizer registry"):
        build_optimizer(nn.Linear(2, 2), dict(type='SDG', lr=0.1))
    with pytest.raises(TypeError, match='optimizer_cfg must be a dict'):
        DefaultOptimizerConstructor([('type', 'SGD')])
