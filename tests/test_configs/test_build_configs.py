"""The RetinaNet / RPN configs: MMDetection 2.25's values, they build without touching
the network (init_weights is not called by build), and RetinaNet's checkpoint keys and
shapes are MMDetection's, in order."""
import json
import os.path as osp

import pytest
import torch

from detkit.config import Config
from detkit.models import build_detector
from detkit.registry import DATASETS, HOOKS, PIPELINES

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COMPAT = '/work/shared/compat/retinanet_r50_fpn_1x_coco.json'


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


@pytest.fixture
def no_network(monkeypatch):
    """Fail loudly if anything tries to fetch weights."""
    def refuse(*args, **kwargs):
        raise AssertionError('building a detector must not download anything')
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', refuse)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', refuse)


@pytest.mark.skipif(not osp.exists(COMPAT), reason='needs /work/shared/compat')
def test_retinanet_builds_with_mmdet_state_dict(no_network):
    cfg = load('retinanet/retinanet_r50_fpn_1x_coco.py')
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained',
                                               checkpoint='torchvision://resnet50')
    model = build_detector(cfg.model)
    ref = json.load(open(COMPAT))
    ours = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    assert ours == ref['state_dict']
    assert sum(p.numel() for p in model.parameters()) == ref['num_params']
    assert type(model).__name__ == ref['detector_type']
    assert not model.bbox_head.sampling
    assert type(model.bbox_head.sampler).__name__ == 'PseudoSampler'


def test_retinanet_config_values():
    cfg = load('retinanet/retinanet_r50_fpn_1x_coco.py')
    assert cfg.optimizer == dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
    assert cfg.lr_config.step == [8, 11] and cfg.runner.max_epochs == 12
    head = cfg.model.bbox_head
    assert head.num_classes == 80 and head.anchor_generator.octave_base_scale == 4
    assert cfg.model.neck.add_extra_convs == 'on_input' and cfg.model.neck.start_level == 1
    assert cfg.model.test_cfg == dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                                      nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)
    assert cfg.model.train_cfg.assigner.neg_iou_thr == 0.4
    assert cfg.custom_hooks == [dict(type='NumClassCheckHook')]
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=16)
    assert cfg.data.samples_per_gpu == 2 and cfg.evaluation == dict(interval=1, metric='bbox')


def test_rpn_builds_and_has_mmdet_values(no_network):
    cfg = load('rpn/rpn_r50_fpn_1x_coco.py')
    assert cfg.data.train.pipeline[1] == dict(type='LoadAnnotations', with_bbox=True,
                                              with_label=False)
    assert cfg.data.train.pipeline[-1] == dict(type='Collect', keys=['img', 'gt_bboxes'])
    assert cfg.data.test.pipeline == load('_base_/datasets/coco_detection.py').test_pipeline
    assert cfg.evaluation == dict(interval=1, metric='proposal_fast')
    assert cfg.optimizer.lr == 0.02
    model = build_detector(cfg.model)
    head = model.rpn_head
    assert head.sampling and type(head.sampler).__name__ == 'RandomSampler'
    assert head.train_cfg['allowed_border'] == 0 and head.test_cfg['nms_pre'] == 2000
    keys = list(model.state_dict())
    assert keys[-6:] == ['rpn_head.rpn_conv.weight', 'rpn_head.rpn_conv.bias',
                         'rpn_head.rpn_cls.weight', 'rpn_head.rpn_cls.bias',
                         'rpn_head.rpn_reg.weight', 'rpn_head.rpn_reg.bias']
    assert tuple(model.state_dict()['rpn_head.rpn_cls.weight'].shape) == (3, 256, 1, 1)


@pytest.mark.parametrize('name,step,epochs', [('1x', [8, 11], 12), ('2x', [16, 22], 24),
                                              ('20e', [16, 19], 20)])
def test_schedules(name, step, epochs):
    cfg = load(f'_base_/schedules/schedule_{name}.py')
    assert cfg.optimizer == dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
    assert cfg.optimizer_config == dict(grad_clip=None)
    assert cfg.lr_config == dict(policy='step', warmup='linear', warmup_iters=500,
                                 warmup_ratio=0.001, step=step)
    assert cfg.runner == dict(type='EpochBasedRunner', max_epochs=epochs)


@pytest.mark.parametrize('name', ['retinanet/retinanet_r50_fpn_1x_coco.py',
                                  'rpn/rpn_r50_fpn_1x_coco.py',
                                  'synthetic/retinanet_r18_fpn_synthetic.py'])
def test_every_type_named_by_the_configs_is_registered(name):
    cfg = load(name)
    assert DATASETS.get(cfg.data.train.type) is not None
    steps = list(cfg.data.train.pipeline) + list(cfg.data.test.pipeline)
    steps += list(cfg.data.test.pipeline[1].transforms)
    assert all(PIPELINES.get(s['type']) is not None for s in steps)
    assert all(HOOKS.get(h['type']) is not None for h in cfg.custom_hooks)


def test_synthetic_config_builds_for_the_shape_classes(no_network):
    from detkit.datasets.synthetic import SHAPE_CLASSES
    cfg = load('synthetic/retinanet_r18_fpn_synthetic.py')
    assert tuple(cfg.classes) == SHAPE_CLASSES
    model = build_detector(cfg.model)
    assert model.bbox_head.num_classes == len(SHAPE_CLASSES)
    assert model.bbox_head.prior_generator.num_levels == len(model.neck.fpn_convs) == 3
    cls_scores, _ = model.forward_dummy(torch.zeros(1, 3, 64, 96))
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [(8, 12), (4, 6), (2, 3)]
