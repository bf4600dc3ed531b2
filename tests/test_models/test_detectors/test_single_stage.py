"""SingleStageDetector: config hand-off to the head, deprecated ``pretrained``,
forward_dummy, and the input errors a user sees (missing meta keys, bad gt shapes)."""
import copy

import numpy as np
import pytest
import torch

from detkit.models import build_detector

CFG = dict(
    type='SingleStageDetector',
    backbone=dict(type='ResNet', depth=18, base_channels=8, out_indices=(2, 3),
                  frozen_stages=-1, norm_eval=False),
    neck=dict(type='FPN', in_channels=[32, 64], out_channels=8, num_outs=2),
    bbox_head=dict(type='RetinaHead', num_classes=2, in_channels=8, feat_channels=8,
                   stacked_convs=1,
                   anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                         scales_per_octave=1, ratios=[1.0], strides=[16, 32])),
    train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4),
                   allowed_border=-1, pos_weight=-1),
    test_cfg=dict(nms_pre=10, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                  max_per_img=5))


def good_metas(n=2):
    return [dict(img_shape=(64, 64, 3), pad_shape=(64, 64, 3), ori_shape=(64, 64, 3),
                 scale_factor=np.ones(4, np.float32)) for _ in range(n)]


def test_cfgs_reach_the_head_and_the_config_is_not_mutated():
    cfg = copy.deepcopy(CFG)
    model = build_detector(cfg)
    assert cfg == CFG  # bbox_head.update(...) works on a copy
    assert model.bbox_head.train_cfg == CFG['train_cfg']
    assert model.bbox_head.test_cfg == CFG['test_cfg']
    assert model.with_neck and model.with_bbox and not model.with_mask
    cls_scores, bbox_preds = model.forward_dummy(torch.zeros(1, 3, 64, 64))
    assert [tuple(c.shape) for c in cls_scores] == [(1, 2, 4, 4), (1, 2, 2, 2)]
    model = build_detector(dict(copy.deepcopy(CFG), train_cfg=None))
    assert not hasattr(model.bbox_head, 'assigner')  # test-only model


def test_pretrained_is_deprecated_and_goes_to_the_backbone():
    with pytest.warns(DeprecationWarning, match='pretrained is deprecated'):
        model = build_detector(dict(copy.deepcopy(CFG), pretrained='torchvision://resnet18'))
    assert model.backbone.init_cfg == dict(type='Pretrained', checkpoint='torchvision://resnet18')


@pytest.mark.parametrize('key', ['img_shape', 'scale_factor'])
def test_simple_test_names_a_missing_meta_key_and_the_image(key):
    model = build_detector(copy.deepcopy(CFG)).eval()
    metas = good_metas()
    del metas[1][key]
    with pytest.raises(KeyError, match=rf"img_metas\[1\] has no '{key}'"):
        model.simple_test(torch.zeros(2, 3, 64, 64), metas)


def test_train_input_errors():
    model = build_detector(copy.deepcopy(CFG))
    img = torch.zeros(2, 3, 64, 64)
    labels = [torch.tensor([0]), torch.tensor([1])]
    metas = good_metas()
    del metas[0]['pad_shape']
    with pytest.raises(KeyError, match=r"img_metas\[0\] has no 'pad_shape'"):
        model(img, metas, gt_bboxes=[torch.zeros(1, 4)] * 2, gt_labels=labels)
    with pytest.raises(ValueError, match=r'gt_bboxes\[1\] must have shape \(n, 4\).*\(1, 5\)'):
        model(img, good_metas(), gt_bboxes=[torch.zeros(1, 4), torch.zeros(1, 5)],
              gt_labels=labels)
    with pytest.raises(ValueError, match=r'gt_bboxes\[0\] must have shape \(n, 4\).*\(4,\)'):
        model(img, good_metas(), gt_bboxes=[torch.zeros(4), torch.zeros(1, 4)], gt_labels=labels)
    with pytest.raises(ValueError, match='got 1 gt_bboxes tensors for a batch of 2 images'):
        model(img, good_metas(), gt_bboxes=[torch.zeros(1, 4)], gt_labels=labels)
    with pytest.raises(ValueError, match='got 1 image metas for a batch of 2'):
        model(img, good_metas(1), gt_bboxes=[torch.zeros(1, 4)] * 2, gt_labels=labels)
    with pytest.raises(ValueError, match=r'gt_labels\[1\] must lie in \[0, 2\).*\[5, 5\]'):
        model(img, good_metas(), gt_bboxes=[torch.zeros(1, 4)] * 2,
              gt_labels=[torch.tensor([0]), torch.tensor([5])])
    with pytest.raises(ValueError, match=r'gt_labels\[0\] must have shape \(1,\)'):
        model(img, good_metas(), gt_bboxes=[torch.zeros(1, 4)] * 2,
              gt_labels=[torch.tensor([0, 1]), torch.tensor([1])])


def test_test_only_model_says_why_it_cannot_train():
    model = build_detector(dict(copy.deepcopy(CFG), train_cfg=None))
    with pytest.raises(ValueError, match='built without train_cfg'):
        model(torch.zeros(1, 3, 64, 64), good_metas(1), gt_bboxes=[torch.zeros(0, 4)],
              gt_labels=[torch.zeros(0).long()])


def test_num_class_check_hook_rejects_a_head_that_disagrees_with_the_dataset():
    from types import SimpleNamespace

    from detkit.registry import HOOKS
    model = build_detector(copy.deepcopy(CFG))  # num_classes=2
    hook = HOOKS.build(dict(type='NumClassCheckHook'))
    runner = SimpleNamespace(model=model, data_loader=SimpleNamespace(
        dataset=SimpleNamespace(CLASSES=('a', 'b', 'c'))))
    with pytest.raises(ValueError, match=r'num_classes` \(2\) in RetinaHead \(model.bbox_head\)'):
        hook.before_train_epoch(runner)
    runner.data_loader.dataset.CLASSES = ('a', 'b')
    hook.before_train_epoch(runner)
