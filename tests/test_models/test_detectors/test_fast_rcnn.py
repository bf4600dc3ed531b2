"""Fast R-CNN: the config builds (MMDetection keys), proposals come from a file through
the dataset and LoadProposals, training and testing take them, and missing or
mismatched proposals fail with messages that say so."""
import copy
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from detkit.config import Config
from detkit.datasets import build_dataset
from detkit.datasets.collate import collate
from detkit.models import build_detector

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(ROOT, 'configs/fast_rcnn/fast_rcnn_r50_fpn_1x_coco.py')


def test_config_builds_with_faster_rcnn_keys_minus_rpn():
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    model = build_detector(cfg.model)
    assert type(model).__name__ == 'FastRCNN' and not model.with_rpn and model.with_roi_head
    import json
    with open('/work/shared/compat/faster_rcnn_r50_fpn_1x_coco.json') as f:
        faster = [k for k, _ in json.load(f)['state_dict'] if not k.startswith('rpn_head.')]
    assert list(model.state_dict()) == faster
    assert cfg.data.train.pipeline[1] == dict(type='LoadProposals', num_max_proposals=2000)
    assert 'proposals' in cfg.data.train.pipeline[-1]['keys']


def small_fast_rcnn():
    """The synthetic Faster R-CNN without its RPN: a CPU-sized Fast R-CNN."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/synthetic/faster_rcnn_r18_fpn_synthetic.py'))
    model = copy.deepcopy(cfg.model)
    model.type = 'FastRCNN'
    del model['rpn_head']
    model.train_cfg = dict(rcnn=model.train_cfg.rcnn)
    model.test_cfg = dict(rcnn=model.test_cfg.rcnn)
    torch.manual_seed(0)
    m = build_detector(model)
    m.init_weights()
    return m, cfg.classes


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    from detkit.datasets.synthetic import SyntheticShapes, make_synthetic_dataset
    out = tmp_path_factory.mktemp('fast_rcnn')
    gen = SyntheticShapes(img_size=(64, 64), max_objects=2, empty_prob=0, crowd_prob=0)
    make_synthetic_dataset(str(out), num_train=3, num_val=1, seed=0, img_size=64,
                           img_ext='.png', generator=gen)
    return out


def dataset_cfg(root, proposal_file, classes, test_mode=False):
    norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
    if test_mode:
        pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadProposals', num_max_proposals=None),
            dict(type='MultiScaleFlipAug', img_scale=(64, 64), flip=False, transforms=[
                dict(type='Resize', keep_ratio=True), dict(type='RandomFlip'),
                dict(type='Normalize', **norm), dict(type='Pad', size_divisor=32),
                dict(type='ImageToTensor', keys=['img']),
                dict(type='ToTensor', keys=['proposals']),
                dict(type='ToDataContainer', fields=[dict(key='proposals', stack=False)]),
                dict(type='Collect', keys=['img', 'proposals'])])]
    else:
        pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadProposals', num_max_proposals=2000),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='Resize', img_scale=(64, 64), keep_ratio=True),
            dict(type='RandomFlip', flip_ratio=0.0),
            dict(type='Normalize', **norm), dict(type='Pad', size_divisor=32),
            dict(type='DefaultFormatBundle'),
            dict(type='Collect', keys=['img', 'proposals', 'gt_bboxes', 'gt_labels'])]
    return dict(type='CocoDataset', classes=classes, test_mode=test_mode,
                ann_file=str(root / 'annotations/instances_train2017.json'),
                img_prefix=str(root / 'train2017') + '/', proposal_file=str(proposal_file),
                pipeline=pipeline)


def write_proposals(path, n_images):
    rng = np.random.default_rng(0)
    props = []
    for _ in range(n_images):
        xy = rng.uniform(0, 40, (20, 2))
        wh = rng.uniform(8, 24, (20, 2))
        props.append(np.concatenate([xy, xy + wh, rng.uniform(0, 1, (20, 1))],
                                    1).astype(np.float32))
    with open(path, 'wb') as f:
        pickle.dump(props, f)


def test_proposal_file_not_matching_the_images_is_refused(synthetic, tmp_path):
    bad = tmp_path / 'two.pkl'
    write_proposals(bad, 2)
    classes = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross')
    with pytest.raises(ValueError, match=r'two.pkl holds 2 proposal arrays for 3 images'):
        build_dataset(dataset_cfg(synthetic, bad, classes))


def test_train_and_test_on_loaded_proposals(synthetic, tmp_path):
    model, classes = small_fast_rcnn()
    props = tmp_path / 'props.pkl'
    write_proposals(props, 3)
    train_set = build_dataset(dataset_cfg(synthetic, props, classes))
    batch = collate([train_set[i] for i in range(2)], samples_per_gpu=2)
    assert [p.shape for p in batch['proposals']] == [(20, 4), (20, 4)]
    model.train()
    losses = model(**batch)
    loss, log_vars = model._parse_losses(losses)
    assert set(losses) == {'loss_cls', 'acc', 'loss_bbox'}
    assert all(np.isfinite(v) for v in log_vars.values())
    loss.backward()
    assert model.roi_head.bbox_head.fc_cls.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='without an rpn_head the proposals must be given'):
        model(img=batch['img'], img_metas=batch['img_metas'], gt_bboxes=batch['gt_bboxes'],
              gt_labels=batch['gt_labels'])

    test_set = build_dataset(dataset_cfg(synthetic, props, classes, test_mode=True))
    batch = collate([test_set[0]], samples_per_gpu=1)
    model.eval()
    with torch.no_grad():
        results = model(return_loss=False, rescale=True, **batch)
    assert len(results) == 1 and len(results[0]) == len(classes)
    assert all(r.shape[1] == 5 for r in results[0])
    with pytest.raises(ValueError, match='proposals are required'):
        model(img=batch['img'], img_metas=batch['img_metas'], return_loss=False)
    with pytest.raises(TypeError, match='one entry per augmentation'):
        model(img=batch['img'], img_metas=batch['img_metas'], return_loss=False,
              proposals=batch['proposals'][0])
