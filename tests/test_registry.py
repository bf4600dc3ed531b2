"""Registry: registration, scoped lookup, building, and the errors people see."""
import pytest
import torch.nn as nn

from detkit.registry import (BACKBONES, DETECTORS, HEADS, LOSSES, MODELS, NECKS, Registry,
                             build_from_cfg, build_model_from_cfg)


class _Head:
    def __init__(self, num_classes, in_channels=256, loss_cls=None):
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.loss_cls = loss_cls


def _registry():
    reg = Registry('models')
    reg.register_module(module=_Head, name='RetinaHead')
    return reg


def test_aliases_share_the_models_registry():
    assert BACKBONES is MODELS and NECKS is MODELS and HEADS is MODELS
    assert LOSSES is MODELS and DETECTORS is MODELS


def test_register_as_decorator_and_call():
    reg = Registry('things')

    @reg.register_module()
    class A:
        pass

    @reg.register_module(name=['B', 'BAlias'])
    class B:
        pass

    def make_c():
        return 'c'

    reg.register_module(module=make_c)
    assert reg.get('A') is A and reg.get('B') is B and reg.get('BAlias') is B
    assert reg.get('make_c') is make_c
    assert 'A' in reg and 'Z' not in reg and len(reg) == 4


def test_duplicate_registration_needs_force():
    reg = Registry('things')
    reg.register_module(module=_Head, name='H')
    with pytest.raises(KeyError, match=r"'H' is already registered in the things registry"):
        reg.register_module(module=dict, name='H')
    reg.register_module(module=dict, name='H', force=True)
    assert reg.get('H') is dict


def test_register_rejects_non_class():
    with pytest.raises(TypeError, match='class or a function'):
        Registry('x').register_module(module=3)


def test_scope_prefixes_resolve_to_detkit():
    reg = _registry()
    for key in ('RetinaHead', 'mmdet.RetinaHead', 'mmcv.RetinaHead', 'detkit.RetinaHead'):
        assert reg.get(key) is _Head
    # a dot that is not a known scope is part of the name
    assert reg.get('other.RetinaHead') is None


def test_parent_lookup():
    parent = _registry()
    child = Registry('child', parent=parent, scope='sub')
    assert child.get('RetinaHead') is _Head
    assert 'sub.child' in parent.children


def test_build_with_default_args_and_class_type():
    reg = _registry()
    obj = build_from_cfg(dict(type='RetinaHead', num_classes=3), reg, dict(in_channels=64))
    assert (obj.num_classes, obj.in_channels) == (3, 64)
    # explicit values win over defaults; a class is accepted as type
    obj = build_from_cfg(dict(type=_Head, num_classes=2, in_channels=8), reg, dict(in_channels=64))
    assert obj.in_channels == 8
    # type may come from default_args
    obj = reg.build(dict(num_classes=5), default_args=dict(type='RetinaHead'))
    assert obj.num_classes == 5


def test_build_does_not_mutate_cfg():
    reg = _registry()
    cfg = dict(type='RetinaHead', num_classes=3)
    build_from_cfg(cfg, reg, dict(in_channels=1))
    assert cfg == dict(type='RetinaHead', num_classes=3)


def test_unknown_type_suggests_closest_name():
    reg = _registry()
    with pytest.raises(KeyError) as e:
        build_from_cfg(dict(type='RetinaHaed', num_classes=3), reg)
    msg = str(e.value)
    assert "'RetinaHaed' is not in the models registry" in msg
    assert "did you mean 'RetinaHead'?" in msg


def test_missing_type_key():
    with pytest.raises(KeyError, match='must have the key "type"'):
        build_from_cfg(dict(num_classes=3), _registry())


def test_bad_constructor_argument_names_class_argument_and_accepted():
    reg = _registry()
    with pytest.raises(TypeError) as e:
        build_from_cfg(dict(type='RetinaHead', num_clases=3), reg)
    msg = str(e.value)
    assert "_Head got an unexpected argument 'num_clases'" in msg
    assert "did you mean 'num_classes'?" in msg
    assert 'accepted arguments: num_classes, in_channels, loss_cls' in msg


def test_missing_required_argument():
    with pytest.raises(TypeError, match=r'_Head is missing required argument\(s\): num_classes'):
        build_from_cfg(dict(type='RetinaHead'), _registry())


def test_error_inside_constructor_keeps_its_type():
    class Boom:
        def __init__(self, x):
            raise ValueError(f'x must be positive, got {x}')

    reg = Registry('r')
    reg.register_module(module=Boom)
    with pytest.raises(ValueError, match='x must be positive, got -1'):
        build_from_cfg(dict(type='Boom', x=-1), reg)


def test_build_model_from_list_is_sequential():
    reg = Registry('m', build_func=build_model_from_cfg)
    reg.register_module(module=nn.ReLU)
    reg.register_module(module=nn.Identity)
    seq = reg.build([dict(type='ReLU'), dict(type='Identity')])
    assert isinstance(seq, nn.Sequential) and len(seq) == 2
    assert isinstance(seq[0], nn.ReLU)


def test_locations_are_imported_on_first_lookup(tmp_path, monkeypatch):
    pkg = tmp_path / 'fake_home_pkg'
    pkg.mkdir()
    (pkg / '__init__.py').write_text(
        'import detkit.registry as r\n'
        '@r._test_home.register_module()\n'
        'class FromHome:\n'
        '    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    home = Registry('home', locations=['fake_home_pkg'])
    monkeypatch.setattr('detkit.registry._test_home', home, raising=False)
    assert len(home._module_dict) == 0
    assert home.get('FromHome').__name__ == 'FromHome'


def test_failed_location_import_is_retried(tmp_path, monkeypatch):
    reg = Registry('r', locations=['detkit_no_such_pkg_xyz'])
    for _ in range(2):  # stays loud on every lookup instead of leaving an empty registry
        with pytest.raises(ModuleNotFoundError):
            reg.get('A')



def test_errors_name_the_config_file_and_key(tmp_path):
    from detkit.config import Config

    cfg_file = tmp_path / 'my_model.py'
    cfg_file.write_text("model = dict(type='Det', bbox_head=dict(type='RetinaHaed', num_classes=3))\n"
                        "other = dict(type='RetinaHead', num_clases=3)\n")
    cfg = Config.fromfile(str(cfg_file))
    reg = _registry()
    with pytest.raises(KeyError) as e:
        build_from_cfg(cfg.model.bbox_head, reg)
    msg = str(e.value)
    assert "did you mean 'RetinaHead'?" in msg
    assert f'in {cfg_file}: model.bbox_head' in msg
    with pytest.raises(TypeError) as e:
        build_from_cfg(cfg.other, reg)
    assert "unexpected argument 'num_clases'" in str(e.value)
    assert f'in {cfg_file}: other' in str(e.value)
