"""DictAction: --cfg-options parsing without eval."""

import argparse

import pytest

from detkit.config import DictAction
from detkit.config.dict_action import OptionValueError, parse_option_value


@pytest.mark.parametrize(
    'text,expected',
    [
        ('1', 1),
        ('-3', -3),
        ('0.5', 0.5),
        ('1e-4', 1e-4),
        ('-2.5e3', -2500.0),
        ('True', True),
        ('False', False),
        ('true', True),
        ('false', False),
        ('TRUE', True),
        ('None', None),
        ('none', 'none'),
        ('abc', 'abc'),
        ('LoadImageFromWebcam', 'LoadImageFromWebcam'),
        ('', ''),
        ('./work_dirs/a b', './work_dirs/a b'),
        ('[1,2]', [1, 2]),
        ('[]', []),
        ('()', ()),
        ('(1)', (1,)),
        ('(1,)', (1,)),
        ('(a,b)', ('a', 'b')),
        ('a,b', ['a', 'b']),
        ('1,2.5,x', [1, 2.5, 'x']),
        ('[(1,2),[3,4]]', [(1, 2), [3, 4]]),
        ('[(train,1),(val,1)]', [('train', 1), ('val', 1)]),
        ('(1333,800)', (1333, 800)),
        ('[[1,[2,(3,)]]]', [[1, [2, (3,)]]]),
        ('[ 1 , ( 2 , 3 ) ]', [1, (2, 3)]),
        ('(a,b),(c,d)', [('a', 'b'), ('c', 'd')]),
        ('"a,b"', 'a,b'),
        ("'True'", 'True'),
        ('["x,y",None]', ['x,y', None]),
        ('[1,]', [1]),
    ],
)
def test_parse_values(text, expected):
    value = parse_option_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    'text,why',
    [
        ('[1,2', "unclosed '\\['"),
        ('1,2]', "unbalanced '\\]'"),
        ('[(1,2],3)', 'does not match'),
        ('(1,2))', "unbalanced '\\)'"),
        ('[1,,2]', 'empty item'),
        ('[1 [2]]', 'inside a word'),
        ('"abc', 'unclosed quote'),
        (',1', 'empty item'),
    ],
)
def test_malformed_values(text, why):
    with pytest.raises(OptionValueError, match=why):
        parse_option_value(text)


def make_parser():
    parser = argparse.ArgumentParser(prog='train.py', exit_on_error=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser


def test_dict_action_collects_options():
    args = make_parser().parse_args(
        [
            '--cfg-options',
            'model.backbone.depth=101',
            'optimizer.lr=0.01',
            'workflow=[(train,1),(val,1)]',
            'data.train.pipeline.1.img_scale=(640,640)',
            'model.backbone.norm_eval=False',
            'load_from=None',
            'a.b=c,d',
            'x=y=z',
            '--cfg-options',
            'extra=1',
        ]
    )
    assert args.cfg_options == {
        'model.backbone.depth': 101,
        'optimizer.lr': 0.01,
        'workflow': [('train', 1), ('val', 1)],
        'data.train.pipeline.1.img_scale': (640, 640),
        'model.backbone.norm_eval': False,
        'load_from': None,
        'a.b': ['c', 'd'],
        'x': 'y=z',
        'extra': 1,
    }


@pytest.mark.parametrize(
    'option,why',
    [
        ('a=[1,2', 'unclosed'),
        ('a', 'expected KEY=VALUE'),
        ('a=1)', 'unbalanced'),
        ('=3', 'missing KEY'),
    ],
)
def test_dict_action_malformed_is_argparse_error(option, why):
    with pytest.raises(argparse.ArgumentError) as info:
        make_parser().parse_args(['--cfg-options', option])
    msg = str(info.value)
    assert msg.startswith('argument --cfg-options: ')
    assert repr(option) in msg and why in msg


def test_dict_action_error_exits_like_argparse(capsys):
    parser = argparse.ArgumentParser(prog='train.py')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(['--cfg-options', 'a=[1,2'])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'usage: train.py' in err
    assert "error: argument --cfg-options: invalid option 'a=[1,2'" in err
