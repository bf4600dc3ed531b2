"""The config snippets of the seed manual, chapters 7 and 11, with values checked."""

import pytest

from detkit.config import Config, DictAction

DEPRECATED = 'train_cfg and test_cfg are deprecated in config file, please specify them in model'


@pytest.fixture
def mask_rcnn(cfg_path):
    with pytest.warns(UserWarning, match=DEPRECATED):
        return Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_1x_coco.py'))


def test_mask_rcnn_example_values(mask_rcnn):
    cfg = mask_rcnn
    assert cfg.model.type == 'MaskRCNN'
    bb = cfg.model.backbone
    assert (bb.type, bb.depth, bb.num_stages, bb.frozen_stages) == ('ResNet', 50, 4, 1)
    assert bb.out_indices == (0, 1, 2, 3)
    assert bb.norm_cfg == dict(type='BN', requires_grad=True)
    assert bb.init_cfg.checkpoint == 'torchvision://resnet50'
    assert cfg.model.neck.in_channels == [256, 512, 1024, 2048]
    assert cfg.model.rpn_head.anchor_generator.strides == [4, 8, 16, 32, 64]
    assert cfg.model.rpn_head.anchor_generator.ratios == [0.5, 1.0, 2.0]
    assert cfg.model.roi_head.bbox_head.bbox_coder.target_stds == [0.1, 0.1, 0.2, 0.2]
    assert cfg.model.roi_head.mask_roi_extractor.roi_layer.output_size == 14
    assert cfg.model.roi_head.mask_head.loss_mask.use_mask is True
    assert cfg.data.train.pipeline[2] == dict(type='Resize', img_scale=(1333, 800), keep_ratio=True)
    assert cfg.data.test.pipeline[1].transforms[-1]['keys'] == ['img']
    assert cfg.data.test.samples_per_gpu == 2
    assert cfg.lr_config.warmup_ratio == 0.001 and cfg.lr_config.step == [8, 11]
    assert cfg.optimizer == dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
    assert cfg.optimizer_config.grad_clip is None
    assert cfg.runner == dict(type='EpochBasedRunner', max_epochs=12)
    assert cfg.log_config.hooks == [dict(type='TextLoggerHook')]
    assert cfg.workflow == [('train', 1)]
    assert cfg.load_from is None and cfg.resume_from is None
    assert cfg.evaluation.metric == ['bbox', 'segm']


def test_deprecated_train_test_cfg_moved_into_model(mask_rcnn):
    # Seed 7.4: the printed example keeps them top-level; they end up in model.
    assert 'train_cfg' not in mask_rcnn and 'test_cfg' not in mask_rcnn
    assert mask_rcnn.model.train_cfg.rpn.assigner.pos_iou_thr == 0.7
    assert mask_rcnn.model.train_cfg.rcnn.sampler.num == 512
    assert mask_rcnn.model.train_cfg.rpn_proposal.nms_pre == 2000
    assert mask_rcnn.model.test_cfg.rcnn.mask_thr_binary == 0.5
    assert mask_rcnn.model.test_cfg.rpn.nms == dict(type='nms', iou_threshold=0.7)


def test_deprecated_cfg_in_both_places_is_an_error():
    text = "model = dict(type='X', train_cfg=dict(a=1))\ntrain_cfg = dict(a=2)\n"
    with pytest.warns(UserWarning, match=DEPRECATED):
        with pytest.raises(KeyError, match='train_cfg specified in both'):
            Config.fromstring(text, '.py')


def test_intermediate_variables_must_be_passed_again(cfg_path):
    # Seed 7.6.2: the child redefines train_pipeline and re-passes it to data.
    with pytest.warns(UserWarning, match=DEPRECATED):
        cfg = Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_mstrain_coco.py'))
    resize = cfg.data.train.pipeline[2]
    assert resize.multiscale_mode == 'value'
    assert resize.img_scale[0] == (1333, 640) and len(resize.img_scale) == 6
    assert cfg.data.train.pipeline[4] == dict(
        type='Normalize', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True
    )
    assert cfg.data.train.pipeline == cfg.train_pipeline
    # Lists are replaced, dicts merged: the rest of data.train comes from the base.
    assert cfg.data.train.ann_file == 'data/coco/annotations/instances_train2017.json'
    assert cfg.data.samples_per_gpu == 2
    assert cfg.data.val.pipeline[1].transforms[2].type == 'Normalize'


def test_intermediate_variable_alone_does_not_change_data(cfg_path):
    # The MMCV behaviour 7.6.2 warns about: data.train.pipeline was filled in
    # when the *base* was evaluated, so redefining train_pipeline alone
    # changes only the variable.
    with pytest.warns(UserWarning, match=DEPRECATED):
        cfg = Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_mstrain_pipeline_only.py'))
    assert cfg.train_pipeline[1].multiscale_mode == 'range'
    assert len(cfg.train_pipeline) == 2
    assert cfg.data.train.pipeline[2] == dict(type='Resize', img_scale=(1333, 800), keep_ratio=True)
    assert len(cfg.data.train.pipeline) == 8


def test_norm_cfg_substitution(cfg_path):
    with pytest.warns(UserWarning, match=DEPRECATED):
        cfg = Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_bn_coco.py'))
    assert cfg.model.neck.norm_cfg == dict(type='BN', requires_grad=True)
    assert cfg.model.neck.out_channels == 256  # merged, not replaced
    assert cfg.model.backbone.depth == 50


def test_delete_replaces_backbone(cfg_path):
    # Seed 7.6.1: `_delete_=True` drops every ResNet key of the base backbone.
    cfg = Config.fromfile(cfg_path('faq/mask_rcnn_hrnetv2p_w32.py'))
    bb = cfg.model.backbone
    assert set(bb) == {'type', 'extra'}
    assert bb.type == 'HRNet'
    assert bb.extra.stage1 == dict(
        num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4,), num_channels=(64,)
    )
    assert bb.extra.stage4.num_channels == (32, 64, 128, 256)
    assert cfg.model.neck == dict(type='HRFPN', in_channels=[32, 64, 128, 256], out_channels=256)
    assert cfg.model.pretrained == 'open-mmlab://msra/hrnetv2_w32'
    assert cfg.model.rpn_head.type == 'RPNHead'  # untouched keys still inherited
    assert '_delete_' not in cfg.pretty_text


def test_without_delete_base_keys_leak(cfg_path):
    cfg = Config.fromfile(cfg_path('faq/mask_rcnn_hrnet_no_delete.py'))
    assert cfg.model.backbone.type == 'HRNet'
    assert cfg.model.backbone.depth == 50  # the ResNet key the manual warns about


def test_runtime_adam_merges_and_delete_replaces_grad_clip(cfg_path):
    with pytest.warns(UserWarning, match=DEPRECATED):
        cfg = Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_adam_clip_coco.py'))
    # A dict merges into the base: SGD's momentum stays (MMCV behaviour).
    assert cfg.optimizer == dict(type='Adam', lr=0.0003, weight_decay=0.0001, momentum=0.9)
    assert cfg.optimizer_config == dict(grad_clip=dict(max_norm=35, norm_type=2))


def test_grad_clip_without_delete_fails_clearly(cfg_path):
    with pytest.raises(TypeError, match=r"'optimizer_config.grad_clip'.*NoneType.*_delete_"):
        Config.fromfile(cfg_path('manual/mask_rcnn_r50_fpn_clip_no_delete.py'))


RUNTIME_SNIPPETS = [
    # 11.1.1
    (
        "optimizer = dict(type='Adam', lr=0.0003, weight_decay=0.0001)",
        {'optimizer': {'type': 'Adam', 'lr': 0.0003, 'weight_decay': 0.0001}},
    ),
    # 11.1.2 (3)
    (
        "optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)",
        {'optimizer': {'type': 'SGD', 'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001}},
    ),
    # 11.1.4
    (
        'optimizer_config = dict(\n    _delete_=True, grad_clip=dict(max_norm=35, norm_type=2))',
        {'optimizer_config': {'grad_clip': {'max_norm': 35, 'norm_type': 2}}},
    ),
    (
        "lr_config = dict(\n    policy='cyclic',\n    target_ratio=(10, 1e-4),\n"
        '    cyclic_times=1,\n    step_ratio_up=0.4,\n)\nmomentum_config = dict(\n'
        "    policy='cyclic',\n    target_ratio=(0.85 / 0.95, 1),\n    cyclic_times=1,\n"
        '    step_ratio_up=0.4,\n)',
        {
            'lr_config': {
                'policy': 'cyclic',
                'target_ratio': (10, 1e-4),
                'cyclic_times': 1,
                'step_ratio_up': 0.4,
            },
            'momentum_config': {
                'policy': 'cyclic',
                'target_ratio': (0.85 / 0.95, 1),
                'cyclic_times': 1,
                'step_ratio_up': 0.4,
            },
        },
    ),
    # 11.2
    (
        "lr_config = dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False)",
        {'lr_config': {'policy': 'poly', 'power': 0.9, 'min_lr': 1e-4, 'by_epoch': False}},
    ),
    (
        "lr_config = dict(\n    policy='CosineAnnealing',\n    warmup='linear',\n"
        '    warmup_iters=1000,\n    warmup_ratio=1.0 / 10,\n    min_lr_ratio=1e-5)',
        {
            'lr_config': {
                'policy': 'CosineAnnealing',
                'warmup': 'linear',
                'warmup_iters': 1000,
                'warmup_ratio': 0.1,
                'min_lr_ratio': 1e-5,
            }
        },
    ),
    # 11.3
    ("workflow = [('train', 1)]", {'workflow': [('train', 1)]}),
    ("workflow = [('train', 1), ('val', 1)]", {'workflow': [('train', 1), ('val', 1)]}),
    # 11.4
    (
        "custom_hooks = [dict(type='NumClassCheckHook')]",
        {'custom_hooks': [{'type': 'NumClassCheckHook'}]},
    ),
    (
        "custom_hooks = [\n    dict(type='NumClassCheckHook', priority='NORMAL')\n]",
        {'custom_hooks': [{'type': 'NumClassCheckHook', 'priority': 'NORMAL'}]},
    ),
    ('checkpoint_config = dict(interval=1)', {'checkpoint_config': {'interval': 1}}),
    (
        'log_config = dict(  \n    interval=50,  \n    hooks=[  \n'
        "        dict(type='TextLoggerHook'),  \n        dict(type='TensorboardLoggerHook')  \n"
        '    ]  \n)',
        {
            'log_config': {
                'interval': 50,
                'hooks': [{'type': 'TextLoggerHook'}, {'type': 'TensorboardLoggerHook'}],
            }
        },
    ),
    (
        "evaluation = dict(interval=1, metric='bbox')",
        {'evaluation': {'interval': 1, 'metric': 'bbox'}},
    ),
]


@pytest.mark.parametrize('text,expected', RUNTIME_SNIPPETS)
def test_runtime_snippets(text, expected):
    cfg = Config.fromstring(text, '.py')
    assert cfg.to_dict() == expected


def test_custom_imports_snippet_needs_the_module():
    text = (
        "custom_imports = dict(imports=['mmdet.core.optimizer.my_optimizer'], "
        'allow_failed_imports=False)'
    )
    with pytest.raises(ImportError, match='mmdet.core.optimizer.my_optimizer'):
        Config.fromstring(text, '.py')


def test_cfg_options_examples_of_7_1(mask_rcnn):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(
        [
            '--cfg-options',
            'model.backbone.norm_eval=False',
            'data.train.pipeline.0.type=LoadImageFromWebcam',
            'workflow=[(train,1),(val,1)]',
        ]
    )
    mask_rcnn.merge_from_dict(args.cfg_options)
    assert mask_rcnn.model.backbone.norm_eval is False
    assert mask_rcnn.data.train.pipeline[0] == dict(type='LoadImageFromWebcam')
    assert mask_rcnn.data.train.pipeline[1].type == 'LoadAnnotations'
    assert mask_rcnn.workflow == [('train', 1), ('val', 1)]
