"""tools/misc/browse_dataset.py on a tiny synthetic COCO set."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest

from detkit.datasets import make_synthetic_dataset

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'misc', 'browse_dataset.py')

CONFIG = """
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', img_scale=(128, 96), keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.0),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels', 'gt_masks']),
]
data = dict(train=dict(
    type='RepeatDataset', times=2,
    dataset=dict(type='CocoDataset', data_root='{root}/',
                 ann_file='annotations/instances_train2017.json', img_prefix='train2017/',
                 classes=('circle', 'square', 'triangle', 'star', 'hexagon', 'cross'),
                 pipeline=train_pipeline)))
"""


def _tool():
    spec = importlib.util.spec_from_file_location('browse_dataset', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    root = tmp_path_factory.mktemp('browse')
    make_synthetic_dataset(str(root / 'data'), num_train=3, num_val=0, seed=2, img_size=64)
    path = root / 'cfg.py'
    path.write_text(CONFIG.replace('{root}', str(root / 'data')))
    return str(path)


def test_browse_draws_pipeline_output(config, tmp_path):
    tool = _tool()
    cfg = tool.retrieve_data_cfg(config, ['Normalize', 'Collect'], None)
    types = [t['type'] for t in cfg.data.train.dataset.pipeline]
    assert 'Normalize' not in types and 'Collect' not in types and 'Pad' in types

    tool.main([config, '--not-show', '--output-dir', str(tmp_path / 'raw'), '--max-images', '2'])
    # keep every transform: the tool must undo ImageToTensor / Normalize itself
    tool.main([config, '--not-show', '--output-dir', str(tmp_path / 'fmt'), '--max-images', '2',
               '--skip-type', 'Nothing'])
    raw = sorted((tmp_path / 'raw').iterdir())
    fmt = sorted((tmp_path / 'fmt').iterdir())
    assert [p.name for p in raw] == [p.name for p in fmt] == ['000000_000001.jpg',
                                                              '000001_000002.jpg']
    a, b = cv2.imread(str(raw[0])), cv2.imread(str(fmt[0]))
    assert a.shape[0] % 32 == 0 and a.shape[1] % 32 == 0 and max(a.shape[:2]) == 128
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 2  # same drawing, both paths
    # drawn: differs from the plain resized image
    src = cv2.imread(str(osp.join(osp.dirname(config), 'data', 'train2017', '000001.jpg')))
    h, w = src.shape[:2]
    scale = min(128 / max(h, w), 96 / min(h, w))
    plain = cv2.resize(src, (int(w * scale + 0.5), int(h * scale + 0.5)))
    assert np.abs(a[:plain.shape[0], :plain.shape[1]].astype(int) - plain).max() > 100


def test_not_show_needs_output_dir(config):
    with pytest.raises(SystemExit):
        _tool().main([config, '--not-show'])
