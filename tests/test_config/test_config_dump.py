"""pretty_text and dump round trips (.py, .json, .yaml)."""

import ast
import warnings

import pytest

from detkit.config import Config


def lists_for_tuples(obj):
    """What JSON does to a value: tuples become lists."""
    if isinstance(obj, dict):
        return {k: lists_for_tuples(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [lists_for_tuples(v) for v in obj]
    return obj


@pytest.fixture
def mask_rcnn(cfg_path):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_mstrain_coco.py'))


ODD = dict(
    a=(1,),
    b=(),
    c=[],
    d={},
    e={'not-an-identifier': 1, 2: 'int key', 'ok': None},
    f=float('inf'),
    g=-float('inf'),
    h='quote \' and " and \\ and \n',
    i=1e-5,
    j=True,
    k={'class': 1},
    l=[dict(x=(1, [2, dict(y=3)]))],
    m=123456789012345678901234567890,
)


def test_pretty_text_is_valid_python_and_readable(mask_rcnn):
    text = mask_rcnn.pretty_text
    ast.parse(text)
    assert all(len(line) <= 79 for line in text.splitlines()), text
    assert "model = dict(\n    type='MaskRCNN',\n" in text
    assert "    backbone=dict(\n        type='ResNet',\n" in text
    assert "workflow = [('train', 1)]" in text
    assert "keys=['img', 'gt_bboxes', 'gt_labels', 'gt_masks']" in text


def test_pretty_text_odd_values_round_trip():
    cfg = Config(ODD)
    text = cfg.pretty_text
    assert "e = {'not-an-identifier': 1, 2: 'int key', 'ok': None}" in text
    assert 'a = (1,)' in text and "f = float('inf')" in text and 'k = {' in text
    again = Config.fromstring(text, '.py')
    assert again.to_dict() == ODD


def test_top_level_non_identifier_key_round_trips():
    cfg = Config.fromstring('{"my-key": 1, "ok": [1, 2]}', '.json')
    assert Config.fromstring(cfg.pretty_text, '.py').to_dict() == {'my-key': 1, 'ok': [1, 2]}


@pytest.mark.parametrize('ext', ['.py', '.json', '.yaml', '.yml'])
def test_dump_round_trip(mask_rcnn, tmp_path, ext):
    path = tmp_path / ('dumped' + ext)
    assert mask_rcnn.dump(path) is None
    loaded = Config.fromfile(path)
    original = mask_rcnn.to_dict()
    if ext == '.json':
        assert loaded.to_dict() == lists_for_tuples(original)
    else:  # .py and YAML (!!python/tuple) keep tuples
        assert loaded.to_dict() == original
    assert not list(tmp_path.glob('.tmp_*'))  # atomic write leaves nothing behind


def test_dump_odd_values_yaml_json(tmp_path):
    cfg = Config({k: v for k, v in ODD.items() if k != 'e'})  # JSON keys are strings
    for ext in ('.yaml', '.json'):
        cfg.dump(tmp_path / ('odd' + ext))
        loaded = Config.fromfile(tmp_path / ('odd' + ext)).to_dict()
        expected = cfg.to_dict() if ext == '.yaml' else lists_for_tuples(cfg.to_dict())
        assert loaded == expected


def test_dump_without_file_uses_source_format(tmp_path):
    (tmp_path / 'c.json').write_text('{"a": [1, 2], "b": {"c": null}}')
    (tmp_path / 'c.yaml').write_text('a: [1, 2]\nb: {c: null}\n')
    (tmp_path / 'c.py').write_text('a = [1, 2]\nb = dict(c=None)\n')
    json_text = Config.fromfile(tmp_path / 'c.json').dump()
    assert json_text.lstrip().startswith('{') and '"c": null' in json_text
    assert 'c: null' in Config.fromfile(tmp_path / 'c.yaml').dump()
    assert Config.fromfile(tmp_path / 'c.py').dump() == 'a = [1, 2]\nb = dict(c=None)\n'
    assert Config(dict(a=1)).dump() == 'a = 1\n'


def test_dump_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"'\.txt'"):
        Config(dict(a=1)).dump(tmp_path / 'c.txt')
