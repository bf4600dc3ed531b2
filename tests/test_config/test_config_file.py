"""Config.fromfile / fromstring: formats, _base_, variables, custom_imports, bad input."""

import os.path as osp
import sys
import textwrap
import warnings

import pytest

from detkit.config import Config, ConfigDict


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_chain_of_bases_mixed_formats(cfg_path):
    # sub/level2.py -> [../level1.py -> ../level0.json, ../other.yaml]
    path = cfg_path('chain/sub/level2.py')
    cfg = Config.fromfile(path)
    assert cfg.filename == path
    assert cfg.model.to_dict() == {
        'type': 'RetinaNet',
        'backbone': {'type': 'ResNet', 'depth': 101, 'out_indices': [0, 1, 2, 3]},
        'bbox_head': {'type': 'RetinaHaed', 'num_classes': 3},
    }
    assert cfg.optimizer == {'type': 'SGD', 'lr': 0.005}
    assert cfg.workflow_extra == ('val', 1)  # !!python/tuple in YAML
    assert cfg.workflow == [['train', 1]]
    # text: every file, bases first, each after its path.
    order = ['level0.json', 'level1.py', 'other.yaml', 'level2.py']
    positions = [
        cfg.text.index(osp.join('chain', n) if n != 'level2.py' else osp.join('sub', n))
        for n in order
    ]
    assert positions == sorted(positions)
    assert "_base_ = ['../level1.py', '../other.yaml']" in cfg.text


def test_base_string_and_list_and_lists_replaced(tmp_path):
    write(tmp_path, 'a.py', 'x = dict(l=[1, 2, 3], keep=1)\n')
    write(tmp_path, 'b.yaml', 'y: 2\n')
    child = write(
        tmp_path,
        'c.py',
        """\
        _base_ = ['./a.py', 'b.yaml']
        x = dict(l=[9])
        y = 3
        """,
    )
    cfg = Config.fromfile(child)
    assert cfg.to_dict() == {'x': {'l': [9], 'keep': 1}, 'y': 3}
    child2 = write(tmp_path, 'd.json', '{"_base_": "a.py", "x": {"keep": 5}}')
    assert Config.fromfile(child2).x == {'l': [1, 2, 3], 'keep': 5}


def test_predefined_variables_py_and_yaml(cfg_path):
    for name in ('vars.py', 'vars.yaml'):
        path = cfg_path('predefined/' + name)
        cfg = Config.fromfile(path)
        assert cfg.dirname == osp.dirname(path)
        assert cfg.basename == name
        assert cfg.stem == 'vars'
        assert cfg.ext == osp.splitext(name)[1]
    assert Config.fromfile(cfg_path('predefined/vars.py')).work_dir == './work_dirs/vars'


def test_predefined_variables_can_be_disabled(cfg_path):
    cfg = Config.fromfile(cfg_path('predefined/vars.py'), use_predefined_variables=False)
    assert cfg.stem == '{{ fileBasenameNoExtension }}'


def test_base_variable_references_braces(cfg_path):
    cfg = Config.fromfile(cfg_path('refs/child_braces.py'))
    assert cfg.item_list == [1, 2]
    assert cfg.item_cfg == {'a': 0}  # the base's value, not the child's item2
    assert cfg.item2 == {'a': 0, 'b': 1}
    assert cfg.flag is True
    assert cfg.depth == 50
    assert cfg.resize == {'type': 'Resize', 'img_scale': (1333, 800), 'keep_ratio': True}
    assert isinstance(cfg.item_cfg, ConfigDict)


@pytest.mark.parametrize('name', ['child_braces.yaml', 'child_braces.json'])
def test_base_variable_references_yaml_json(cfg_path, name):
    cfg = Config.fromfile(cfg_path('refs/' + name))
    assert cfg.depth == 50
    if name.endswith('yaml'):
        assert cfg.item_list == [1, 2]
    else:
        assert cfg.item_cfg == {'a': 0}


def test_base_variable_references_attribute_form(cfg_path):
    cfg = Config.fromfile(cfg_path('refs/child_attr.py'))
    assert cfg.depth == 101
    assert cfg.model.backbone == {'type': 'ResNet', 'depth': 101}
    assert cfg.resize.img_scale == (1333, 800)
    assert cfg.img_scale == (1333, 800)
    assert cfg.train_pipeline[1].type == 'Resize'  # the base is not modified


def test_missing_base_variable_names_it(tmp_path):
    write(tmp_path, 'base.py', 'model = dict(backbone=dict(depth=50))\n')
    child = write(
        tmp_path,
        'child.py',
        """\
        _base_ = './base.py'
        d = {{_base_.model.backbone.dept}}
        """,
    )
    with pytest.raises(KeyError, match=r"_base_\.model\.backbone\.dept.*child\.py.*'depth'"):
        Config.fromfile(child)


def test_py_config_collects_only_plain_variables(tmp_path):
    path = write(
        tmp_path,
        'c.py',
        """\
        import os.path as osp
        from collections import OrderedDict
        def helper(x):
            return x * 2
        __hidden = 1
        _private = 2
        value = helper(21)
        root = osp.join('a', 'b')
        """,
    )
    cfg = Config.fromfile(path)
    assert cfg.to_dict() == {'_private': 2, 'value': 42, 'root': 'a/b'}


def test_fromstring_formats():
    assert Config.fromstring('a = dict(b=1)', '.py').a.b == 1
    assert Config.fromstring('{"a": {"b": [1, 2]}}', '.json').a.b == [1, 2]
    assert Config.fromstring('a:\n  b: true\n', '.yaml').a.b is True
    assert Config.fromstring('', '.yml').to_dict() == {}
    with pytest.raises(OSError, match='Only py/yml/yaml/json'):
        Config.fromstring('a = 1', '.txt')
    with pytest.warns(UserWarning, match='may be .py'):
        Config.fromstring('a: "dict(x=1)"', '.yaml')


def test_config_init():
    cfg = Config(dict(a=1, b=dict(c=[dict(d=2)])))
    assert cfg.filename is None and cfg.text == ''
    assert cfg.b.c[0].d == 2
    with pytest.raises(TypeError, match='must be a dict'):
        Config([1, 2])
    with pytest.raises(KeyError, match='filename is reserved'):
        Config(dict(filename=1))


def test_config_dict_like_behaviour():
    cfg = Config(dict(a=1))
    cfg.b = dict(c=2)
    cfg['d'] = [dict(e=3)]
    assert cfg.b.c == 2 and cfg.d[0].e == 3
    assert isinstance(cfg.b, ConfigDict)
    assert 'a' in cfg and len(cfg) == 3 and list(cfg) == ['a', 'b', 'd']
    assert cfg.get('zzz', 5) == 5
    del cfg.a
    assert 'a' not in cfg
    assert repr(cfg).startswith('Config (path: None): ')
    with pytest.raises(AttributeError, match=r"no attribute 'bb' \(did you mean 'b'\?\)"):
        _ = cfg.bb


def test_custom_imports(tmp_path, monkeypatch):
    write(tmp_path, 'detkit_cfg_test_plugin.py', 'LOADED = True\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write(
        tmp_path,
        'c.py',
        """\
        custom_imports = dict(imports=['detkit_cfg_test_plugin'], allow_failed_imports=False)
        """,
    )
    Config.fromfile(path, import_custom_modules=False)
    assert 'detkit_cfg_test_plugin' not in sys.modules
    Config.fromfile(path)
    assert sys.modules['detkit_cfg_test_plugin'].LOADED is True
    monkeypatch.delitem(sys.modules, 'detkit_cfg_test_plugin')


def test_custom_imports_failures():
    bad = "custom_imports = dict(imports=['no_such_module_xyz'], allow_failed_imports={})"
    with pytest.raises(ImportError, match='no_such_module_xyz'):
        Config.fromstring(bad.format(False), '.py')
    with pytest.warns(UserWarning, match='no_such_module_xyz failed to import'):
        cfg = Config.fromstring(bad.format(True), '.py')
    assert cfg.custom_imports.imports == ['no_such_module_xyz']


def test_deprecation_key_warns(tmp_path):
    path = write(
        tmp_path,
        'old.py',
        """\
        _deprecation_ = dict(expected='new.py', reference='https://example.org')
        a = 1
        """,
    )
    with pytest.warns(DeprecationWarning, match='will be deprecated.*new.py'):
        cfg = Config.fromfile(path)
    assert cfg.to_dict() == {'a': 1}


# -- bad input ------------------------------------------------------------


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(
        tmp_path,
        'broken.py',
        """\
        model = dict(
            type='RetinaNet',
            depth=50 50)
        """,
    )
    with pytest.raises(SyntaxError) as info:
        Config.fromfile(path)
    assert path in str(info.value) and 'line 3' in str(info.value)
    assert info.value.lineno == 3 and info.value.filename == path


def test_runtime_error_in_py_config_names_file(tmp_path):
    path = write(tmp_path, 'bad.py', 'a = 1\nb = undefined_name\n')
    with pytest.raises(NameError) as info:
        Config.fromfile(path)
    assert any(path in note for note in getattr(info.value, '__notes__', [path]))
    assert info.traceback[-1].path == path or str(info.traceback[-1].path) == path
    assert info.traceback[-1].lineno + 1 == 2


def test_invalid_json_and_yaml_name_file(tmp_path):
    path = write(tmp_path, 'bad.json', '{"a": 1,\n "b": }\n')
    with pytest.raises(ValueError, match=r'bad\.json, line 2'):
        Config.fromfile(path)
    path = write(tmp_path, 'bad.yaml', 'a: [1, 2\nb: 3\n')
    with pytest.raises(ValueError, match=r'bad\.yaml, line 2'):
        Config.fromfile(path)
    path = write(tmp_path, 'list.yaml', '- 1\n- 2\n')
    with pytest.raises(TypeError, match='mapping'):
        Config.fromfile(path)


def test_missing_config_and_unsupported_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        Config.fromfile(str(tmp_path / 'nope.py'))
    path = write(tmp_path, 'c.txt', 'a = 1')
    with pytest.raises(OSError, match='Only py/yml/yaml/json'):
        Config.fromfile(path)


def test_missing_base_names_path_and_referrer(tmp_path):
    child = write(tmp_path, 'configs/child.py', "_base_ = '../_base_/models/nope.py'\n")
    missing = str(tmp_path / '_base_' / 'models' / 'nope.py')
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(child)
    assert missing in str(info.value) and child in str(info.value)


def test_base_cycle_names_the_cycle(tmp_path):
    a = write(tmp_path, 'a.py', "_base_ = './b.py'\nx = 1\n")
    b = write(tmp_path, 'b.py', "_base_ = './a.py'\ny = 1\n")
    with pytest.raises(RecursionError) as info:
        Config.fromfile(a)
    assert f'{a} -> {b} -> {a}' in str(info.value)
    self_loop = write(tmp_path, 'self.py', "_base_ = 'self.py'\n")
    with pytest.raises(RecursionError, match='circular'):
        Config.fromfile(self_loop)


def test_duplicate_key_among_bases(tmp_path):
    b1 = write(tmp_path, 'b1.py', 'model = dict(a=1)\nx = 1\n')
    b2 = write(tmp_path, 'b2.yaml', 'model: {b: 2}\ny: 2\n')
    child = write(tmp_path, 'c.py', "_base_ = ['b1.py', 'b2.yaml']\n")
    with pytest.raises(KeyError) as info:
        Config.fromfile(child)
    msg = str(info.value)
    assert 'Duplicate key is not allowed among bases' in msg
    assert "'model'" in msg and b1 in msg and b2 in msg and "'x'" not in msg


def test_bad_base_type(tmp_path):
    child = write(tmp_path, 'c.py', '_base_ = 3\n')
    with pytest.raises(TypeError, match='_base_ .* must be a path'):
        Config.fromfile(child)


def test_diamond_inheritance_is_not_a_cycle(tmp_path):
    write(tmp_path, 'root.py', 'a = 1\n')
    write(tmp_path, 'left.py', "_base_ = 'root.py'\nb = 2\n")
    write(tmp_path, 'right.py', "_base_ = 'root.py'\nc = 3\n")
    child = write(tmp_path, 'child.py', "_base_ = 'left.py'\nd = 4\n")
    assert Config.fromfile(child).to_dict() == {'a': 1, 'b': 2, 'd': 4}
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        both = write(tmp_path, 'both.py', "_base_ = ['left.py', 'right.py']\n")
        with pytest.raises(KeyError, match="'a'"):  # `a` comes in through both bases
            Config.fromfile(both)
