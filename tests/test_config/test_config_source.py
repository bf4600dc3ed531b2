"""Source tracking (describe_source) and ConfigDict behaviour."""

import copy
import os.path as osp
import pickle

import pytest

from detkit.config import Config, ConfigDict, describe_source


@pytest.fixture
def chain(cfg_path):
    return Config.fromfile(cfg_path('chain/sub/level2.py'))


def test_describe_nodes_of_a_file_config(tmp_path):
    path = tmp_path / 'foo.py'
    path.write_text(
        "model = dict(type='RetinaNet', bbox_head=dict(type='RetinaHaed'))\n"
        "data = dict(train=dict(pipeline=[dict(type='A'), dict(type='B'),"
        " dict(type='C', t=[dict(type='D')])]))\n"
    )
    cfg = Config.fromfile(str(path))
    where = str(path)
    assert describe_source(cfg.model.bbox_head) == f'in {where}: model.bbox_head'
    assert describe_source(cfg.data.train.pipeline[2]) == f'in {where}: data.train.pipeline.2'
    assert (
        describe_source(cfg.data.train.pipeline[2].t[0]) == f'in {where}: data.train.pipeline.2.t.0'
    )
    assert describe_source(cfg) == f'in {where}'
    assert describe_source(cfg.model) == f'in {where}: model'


def test_describe_names_the_file_that_set_type(chain, cfg_path):
    top = cfg_path('chain/sub/level2.py')
    # bbox_head's `type` was (mis)typed in level1.py; level2 only set num_classes.
    assert (
        describe_source(chain.model.bbox_head)
        == f'in {cfg_path("chain/level1.py")} (inherited by {top}): model.bbox_head'
    )
    assert (
        describe_source(chain.model.backbone)
        == f'in {cfg_path("chain/level0.json")} (inherited by {top}): model.backbone'
    )
    # Paths are absolute even when the config was loaded by a relative name.
    rel = osp.relpath(top)
    assert describe_source(Config.fromfile(rel).model.bbox_head).endswith(
        f'(inherited by {top}): model.bbox_head'
    )


def test_source_not_in_dict_or_dumps(chain):
    head = chain.model.bbox_head
    assert set(head) == {'type', 'num_classes'}
    assert dict(**head) == {'type': 'RetinaHaed', 'num_classes': 3}
    assert head.to_dict() == {'type': 'RetinaHaed', 'num_classes': 3}
    assert 'level1' not in chain.pretty_text and 'source' not in chain.dump()


def test_source_survives_copies_and_pickle(chain):
    head = chain.model.bbox_head
    expected = describe_source(head)
    for other in (
        copy.copy(head),
        copy.deepcopy(head),
        head.copy(),
        pickle.loads(pickle.dumps(head)),
    ):
        assert other == head and other is not head
        assert describe_source(other) == expected
    model = copy.deepcopy(chain.model)
    assert describe_source(model.bbox_head) == expected
    for cfg in (copy.copy(chain), copy.deepcopy(chain), pickle.loads(pickle.dumps(chain))):
        assert describe_source(cfg.model.bbox_head) == expected
        assert cfg.filename == chain.filename and cfg.text == chain.text
    # A registry typically does `args = cfg.copy(); args.pop('type')`.
    args = chain.model.copy()
    args.pop('type')
    assert describe_source(args.bbox_head) == expected and 'type' in chain.model


def test_assigned_nodes_get_a_source(tmp_path):
    path = tmp_path / 'foo.py'
    path.write_text('model = dict(type="X")\n')
    cfg = Config.fromfile(str(path))
    cfg.model.neck = dict(type='FPN', extra=[dict(type='Conv')])
    cfg.data = dict(train=dict(type='Coco'))
    assert describe_source(cfg.model.neck) == f'in {path}: model.neck'
    assert describe_source(cfg.model.neck.extra[0]) == f'in {path}: model.neck.extra.0'
    assert describe_source(cfg.data.train) == f'in {path}: data.train'
    # An already placed node keeps its original location when shared.
    cfg.model.neck2 = cfg.data.train
    assert describe_source(cfg.model.neck2) == f'in {path}: data.train'


def test_describe_unknown():
    assert describe_source({'type': 'X'}) == ''
    assert describe_source(ConfigDict(type='X')) == ''
    assert describe_source(Config(dict(a=1))) == ''
    assert describe_source(Config(dict(a=dict(b=1))).a) == 'at a'
    assert describe_source(Config.fromstring('a = dict(b=dict())', '.py').a.b) == 'at a.b'
    assert describe_source(None) == '' and describe_source(3) == ''


def test_config_dict_missing_attribute_message(chain, cfg_path):
    with pytest.raises(AttributeError) as info:
        _ = chain.model.bakbone
    msg = str(info.value)
    assert "'ConfigDict' object has no attribute 'bakbone'" in msg
    assert "(did you mean 'backbone'?)" in msg
    assert 'model' in msg and cfg_path('chain') in msg
    with pytest.raises(KeyError):
        chain.model['bakbone']
    assert not hasattr(chain.model, 'nothing_like_it')
    assert getattr(chain.model, 'nothing', 3) == 3


def test_config_dict_basics():
    d = ConfigDict(a=1, b=dict(c=[dict(d=2)], e=(dict(f=3),)))
    assert d.b.c[0].d == 2 and d.b.e[0].f == 3 and isinstance(d.b.e, tuple)
    d.g = dict(h=1)
    assert d.g.h == 1 and isinstance(d.g, ConfigDict)
    lst = [1, 2]
    d.lst = lst
    assert d.lst is lst  # lists without dicts are stored as given
    with pytest.raises(AttributeError, match='read-only'):
        d.keys = 1
    assert d.to_dict() == {
        'a': 1,
        'b': {'c': [{'d': 2}], 'e': ({'f': 3},)},
        'g': {'h': 1},
        'lst': [1, 2],
    }


def test_setdefault_returns_stored_config_dict(tmp_path):
    path = tmp_path / 'foo.py'
    path.write_text('data = dict(samples_per_gpu=2)\n')
    cfg = Config.fromfile(str(path))
    loader = cfg.data.setdefault('train_dataloader', {})
    loader['shuffle'] = True
    assert cfg.data.train_dataloader == {'shuffle': True}
    assert describe_source(cfg.data.train_dataloader) == f'in {path}: data.train_dataloader'
    assert cfg.data.setdefault('samples_per_gpu', 8) == 2
