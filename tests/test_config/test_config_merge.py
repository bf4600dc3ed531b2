"""Config.merge_from_dict (the --cfg-options path)."""

import pytest

from detkit.config import Config, ConfigDict, describe_source


@pytest.fixture
def cfg():
    return Config(
        dict(
            model=dict(
                type='RetinaNet', backbone=dict(type='ResNet', depth=50, out_indices=(0, 1, 2, 3))
            ),
            data=dict(
                train=dict(
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='Resize', img_scale=(1333, 800)),
                    ]
                )
            ),
            optimizer=dict(type='SGD', lr=0.02),
            workflow=[('train', 1)],
        )
    )


def test_dotted_and_list_index_keys(cfg):
    cfg.merge_from_dict(
        {
            'model.backbone.depth': 101,
            'data.train.pipeline.1.img_scale': (640, 640),
            'data.train.pipeline.0': dict(type='LoadImageFromWebcam'),
            'model.backbone.out_indices.3': 7,
            'optimizer': dict(lr=0.01),
            'new.key': 'v',
            'workflow': [('train', 1), ('val', 1)],
        }
    )
    assert cfg.model.backbone.depth == 101
    assert cfg.data.train.pipeline[1] == dict(type='Resize', img_scale=(640, 640))
    assert cfg.data.train.pipeline[0] == dict(type='LoadImageFromWebcam')
    assert cfg.model.backbone.out_indices == (0, 1, 2, 7)
    assert cfg.optimizer == dict(type='SGD', lr=0.01)  # dicts merge
    assert cfg.new.key == 'v' and isinstance(cfg.new, ConfigDict)
    assert cfg.workflow == [('train', 1), ('val', 1)]
    # Sources follow the new tree.
    assert describe_source(cfg.data.train.pipeline[1]) == 'at data.train.pipeline.1'


def test_delete_in_options(cfg):
    cfg.merge_from_dict({'model.backbone': dict(_delete_=True, type='HRNet')})
    assert cfg.model.backbone == dict(type='HRNet')


def test_index_out_of_range_names_path(cfg):
    with pytest.raises(KeyError) as info:
        cfg.merge_from_dict({'data.train.pipeline.5.img_scale': 1})
    msg = str(info.value)
    assert "'data.train.pipeline.5.img_scale'" in msg
    assert "index 5 is out of range for 'data.train.pipeline'" in msg and '2 items' in msg


def test_path_through_non_dict_names_path(cfg):
    with pytest.raises(TypeError) as info:
        cfg.merge_from_dict({'model.type.foo': 1})
    assert "cannot set 'model.type.foo': 'model.type' is a str ('RetinaNet'), not a dict" in str(
        info.value
    )
    with pytest.raises(KeyError, match="'data.train.pipeline' is a list of 2 items, so 'x'"):
        cfg.merge_from_dict({'data.train.pipeline.x': 1})


def test_list_keys_disallowed(cfg):
    with pytest.raises(TypeError, match='allow_list_keys=False'):
        cfg.merge_from_dict({'data.train.pipeline.0.type': 'X'}, allow_list_keys=False)


def test_conflicting_options(cfg):
    with pytest.raises(KeyError, match='conflict'):
        cfg.merge_from_dict({'a': 1, 'a.b': 2})


def test_merge_leaves_original_nodes_alone(cfg):
    backbone = cfg.model.backbone
    cfg.merge_from_dict({'model.backbone.depth': 18})
    assert backbone.depth == 50 and cfg.model.backbone.depth == 18
