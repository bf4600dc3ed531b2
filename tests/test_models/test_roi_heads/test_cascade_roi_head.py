"""CascadeRoIHead: construction checks, stage losses (names, weights, gradients with empty
images and without positives), refine_bboxes by hand, and test-time ensembling of the
stages' scores and masks checked against hand-computed values."""
import math

import numpy as np
import pytest
import torch

from detkit.models import build_head
from detkit.structures import BitmapMasks

C = 3
CH = 8
STRIDES = [4, 8]
STDS = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]


def bbox_head(stds, agnostic=True):
    return dict(type='Shared2FCBBoxHead', in_channels=CH, fc_out_channels=16, roi_feat_size=7,
                num_classes=C,
                bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                                target_stds=stds),
                reg_class_agnostic=agnostic,
                loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))


def rcnn_cfg(iou):
    return dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=iou, neg_iou_thr=iou,
                              min_pos_iou=iou, match_low_quality=False, ignore_iof_thr=-1),
                sampler=dict(type='RandomSampler', num=32, pos_fraction=0.25, neg_pos_ub=-1,
                             add_gt_as_proposals=True),
                mask_size=28, pos_weight=-1, debug=False)


def extractor(size):
    return dict(type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=size, sampling_ratio=0),
                out_channels=CH, featmap_strides=STRIDES)


def head_cfg(with_mask=True, num_stages=3, weights=(1, 0.5, 0.25), share=False):
    cfg = dict(type='CascadeRoIHead', num_stages=num_stages,
               stage_loss_weights=list(weights[:num_stages]),
               bbox_roi_extractor=extractor(7),
               bbox_head=[bbox_head(s) for s in STDS[:num_stages]],
               train_cfg=[rcnn_cfg(iou) for iou in (0.5, 0.6, 0.7)[:num_stages]],
               test_cfg=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                             max_per_img=20, mask_thr_binary=0.5))
    if with_mask:
        cfg['mask_head'] = dict(type='FCNMaskHead', num_convs=1, in_channels=CH,
                                conv_out_channels=CH, num_classes=C)
        if not share:
            cfg['mask_roi_extractor'] = extractor(14)
    return cfg


def feats(batch=2, size=64, grad=False):
    return [torch.randn(batch, CH, size // s, size // s, requires_grad=grad) for s in STRIDES]


def metas(batch=2, size=64):
    return [dict(img_shape=(size, size, 3), pad_shape=(size, size, 3), ori_shape=(size, size, 3),
                 scale_factor=np.ones(4, np.float32), flip=False, flip_direction='horizontal')
            for _ in range(batch)]


def box_masks(boxes, size=64):
    masks = np.zeros((len(boxes), size, size), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.int().tolist()):
        masks[i, y1:y2, x1:x2] = 1
    return BitmapMasks(masks, size, size)


def train_batch():
    gt_bboxes = [torch.tensor([[4., 4., 30., 30.], [20., 30., 60., 60.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([0, 2]), torch.zeros(0, dtype=torch.long)]
    proposals = [torch.tensor([[5., 5., 29., 31., .9], [22., 28., 58., 61., .8],
                               [0., 0., 10., 10., .5]]),
                 torch.tensor([[1., 1., 40., 40., .8]])]
    return proposals, gt_bboxes, gt_labels, [box_masks(b) for b in gt_bboxes]


# -- construction ------------------------------------------------------------------------
def test_single_config_is_replicated_per_stage():
    cfg = head_cfg()
    cfg['bbox_head'] = bbox_head(STDS[0])
    head = build_head(cfg)
    assert len(head.bbox_head) == len(head.bbox_roi_extractor) == 3
    assert len(head.mask_head) == len(head.mask_roi_extractor) == 3
    assert len(head.bbox_assigner) == len(head.bbox_sampler) == 3
    assert [a.pos_iou_thr for a in head.bbox_assigner] == [0.5, 0.6, 0.7]
    # separate modules, not one module three times
    assert head.bbox_head[0] is not head.bbox_head[1]
    assert head.bbox_head[1].fc_reg.weight.shape == (4, 16)
    keys = set(head.state_dict())
    for s in range(3):
        for k in ('shared_fcs.0.weight', 'shared_fcs.1.weight', 'fc_cls.weight', 'fc_reg.bias'):
            assert f'bbox_head.{s}.{k}' in keys
        for k in ('convs.0.conv.weight', 'upsample.weight', 'conv_logits.weight'):
            assert f'mask_head.{s}.{k}' in keys
    shared = build_head(head_cfg(share=True))
    assert shared.share_roi_extractor and shared.mask_roi_extractor is shared.bbox_roi_extractor


def test_construction_errors_name_the_argument():
    cfg = head_cfg()
    cfg['bbox_head'] = cfg['bbox_head'][:2]
    with pytest.raises(ValueError, match='bbox_head lists 2 configs but num_stages is 3'):
        build_head(cfg)
    cfg = head_cfg()
    cfg['stage_loss_weights'] = [1, 0.5]
    with pytest.raises(ValueError, match='stage_loss_weights has 2 entries'):
        build_head(cfg)
    cfg = head_cfg()
    cfg['train_cfg'] = rcnn_cfg(0.5)
    with pytest.raises(ValueError, match=r'train_cfg \(model.train_cfg.rcnn\) must be a list'):
        build_head(cfg)
    cfg = head_cfg()
    cfg['shared_head'] = dict(type='ResLayer', depth=50)
    with pytest.raises(ValueError, match='shared_head is not supported'):
        build_head(cfg)
    cfg = head_cfg()
    del cfg['train_cfg'][1]['assigner']
    with pytest.raises(KeyError, match="stage 1 has no 'assigner'"):
        build_head(cfg)
    cfg = head_cfg()
    cfg['train_cfg'] = None
    head = build_head(cfg)
    proposals, gt_bboxes, gt_labels, gt_masks = train_batch()
    with pytest.raises(RuntimeError, match='built without a train_cfg'):
        head.forward_train(feats(), metas(), proposals, gt_bboxes, gt_labels, None, gt_masks)


# -- training ----------------------------------------------------------------------------
def test_losses_per_stage_with_an_empty_image_and_gradients_reach_every_stage():
    torch.manual_seed(0)
    head = build_head(head_cfg())
    head.init_weights()
    x = feats(grad=True)
    proposals, gt_bboxes, gt_labels, gt_masks = train_batch()
    losses = head.forward_train(x, metas(), proposals, gt_bboxes, gt_labels, None, gt_masks)
    expected = {f's{s}.{k}' for s in range(3)
                for k in ('loss_cls', 'acc', 'loss_bbox', 'loss_mask')}
    assert set(losses) == expected
    assert all(torch.isfinite(v).all() for v in losses.values())
    # the gts are added as proposals: every stage has positives
    for s in range(3):
        assert losses[f's{s}.loss_bbox'].item() > 0 and losses[f's{s}.loss_mask'].item() > 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if name.endswith('weight'):
            assert p.grad.abs().sum() > 0, name


def test_stage_loss_weights_scale_losses_not_accuracies():
    proposals, gt_bboxes, gt_labels, gt_masks = train_batch()
    x = feats()
    torch.manual_seed(0)
    weighted = build_head(head_cfg())
    weighted.init_weights()
    plain = build_head(head_cfg(weights=(1, 1, 1)))
    plain.load_state_dict(weighted.state_dict())
    torch.manual_seed(1)
    lw = weighted.forward_train(x, metas(), proposals, gt_bboxes, gt_labels, None, gt_masks)
    torch.manual_seed(1)  # the same random samples
    lp = plain.forward_train(x, metas(), proposals, gt_bboxes, gt_labels, None, gt_masks)
    for s, w in enumerate((1, 0.5, 0.25)):
        for k in ('loss_cls', 'loss_bbox', 'loss_mask'):
            torch.testing.assert_close(lw[f's{s}.{k}'], w * lp[f's{s}.{k}'])
        torch.testing.assert_close(lw[f's{s}.acc'], lp[f's{s}.acc'])


def test_no_positive_in_the_whole_batch():
    torch.manual_seed(0)
    head = build_head(head_cfg())
    head.init_weights()
    empty_masks = BitmapMasks(np.zeros((0, 64, 64), np.uint8), 64, 64)
    proposals = [torch.tensor([[5., 5., 29., 31.]]), torch.tensor([[1., 1., 40., 40.]])]
    losses = head.forward_train(feats(), metas(), proposals, [torch.zeros(0, 4)] * 2,
                                [torch.zeros(0, dtype=torch.long)] * 2, None, [empty_masks] * 2)
    assert {k for k in losses if k.startswith('s2.')} == {'s2.loss_cls', 's2.acc',
                                                          's2.loss_bbox', 's2.loss_mask'}
    for s in range(3):
        assert losses[f's{s}.loss_bbox'].item() == 0
        assert losses[f's{s}.loss_mask'].sum().item() == 0
        assert losses[f's{s}.loss_cls'].item() > 0
    assert all(torch.isfinite(v).all() for v in losses.values())
    sum(v.sum() for k, v in losses.items() if 'loss' in k).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None, name
    for s in range(3):
        assert head.bbox_head[s].fc_cls.weight.grad.abs().sum() > 0


def test_no_rois_at_all_stops_after_the_first_stage():
    head = build_head(head_cfg(with_mask=False))
    losses = head.forward_train(feats(), metas(), [torch.zeros(0, 4)] * 2,
                                [torch.zeros(0, 4)] * 2, [torch.zeros(0, dtype=torch.long)] * 2)
    # MMDetection's behaviour: nothing sampled, nothing to refine
    assert set(losses) == {'s0.loss_bbox'} and losses['s0.loss_bbox'].item() == 0


# -- refine_bboxes ---------------------------------------------------------------------
def _decode(box, delta, stds, img_hw):
    """Hand DeltaXYWH decoding of one box in float64 (MMDetection 2.x: w = x2 - x1)."""
    x1, y1, x2, y2 = box
    dx, dy, dw, dh = [d * s for d, s in zip(delta, stds)]
    px, py, pw, ph = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    gx, gy, gw, gh = px + pw * dx, py + ph * dy, pw * math.exp(dw), ph * math.exp(dh)
    h, w = img_hw
    return [min(max(gx - gw / 2, 0), w), min(max(gy - gh / 2, 0), h),
            min(max(gx + gw / 2, 0), w), min(max(gy + gh / 2, 0), h)]


def test_refine_bboxes_by_hand_removes_gt_rois():
    stds = STDS[0]
    head = build_head(bbox_head(stds, agnostic=False))  # class-specific deltas
    # image 0: 2 positives (the first is a gt added as proposal), 1 negative;
    # image 1: 1 positive (not a gt), 1 negative
    rois = torch.tensor([[0, 4., 4., 30., 30.], [0, 5., 5., 29., 31.], [0, 0., 0., 10., 10.],
                         [1, 10., 10., 20., 30.], [1, 30., 30., 60., 62.]])
    labels = torch.tensor([0, 0, 2, 1, 2])
    deltas = torch.zeros(5, 4 * C)
    deltas[1, 0:4] = torch.tensor([1., -1., 0., 0.])
    deltas[2, 8:12] = torch.tensor([0., 0., math.log(2) / 0.2, 0.])
    deltas[2, 0:4] = torch.tensor([5., 5., 5., 5.])  # class 0: must not be used (label 2)
    deltas[3, 4:8] = torch.tensor([2., 0.5, 0., -math.log(2) / 0.2])
    deltas[4, 8:12] = torch.tensor([0., 0., 1., 1.])  # grows past the 64x50 image: clipped
    pos_is_gts = [torch.tensor([1, 0], dtype=torch.uint8), torch.tensor([0], dtype=torch.uint8)]
    img_metas = [dict(img_shape=(64, 64, 3)), dict(img_shape=(50, 64, 3))]
    refined = head.refine_bboxes(rois, labels, deltas, pos_is_gts, img_metas)
    assert [r.shape for r in refined] == [(2, 4), (2, 4)]
    expected0 = [_decode([5, 5, 29, 31], [1, -1, 0, 0], stds, (64, 64)),
                 _decode([0, 0, 10, 10], [0, 0, math.log(2) / 0.2, 0], stds, (64, 64))]
    expected1 = [_decode([10, 10, 20, 30], [2, 0.5, 0, -math.log(2) / 0.2], stds, (50, 64)),
                 _decode([30, 30, 60, 62], [0, 0, 1, 1], stds, (50, 64))]
    # spelled out: (5, 5, 29, 31) moves by 0.1 * w = 2.4 right and 0.1 * h = 2.6 up
    np.testing.assert_allclose(expected0[0], [7.4, 2.4, 31.4, 28.4], atol=1e-9)
    # (0, 0, 10, 10) doubles its width about x = 5: (-5, 15) -> clipped to 0
    np.testing.assert_allclose(expected0[1], [0., 0., 15., 10.], atol=1e-9)
    np.testing.assert_allclose(refined[0].double().numpy(), expected0, atol=1e-4)
    np.testing.assert_allclose(refined[1].double().numpy(), expected1, atol=1e-4)
    assert refined[1][1, 3].item() == 50  # clipped to the image height


def test_training_refinement_uses_gt_labels_and_argmax_for_negatives():
    torch.manual_seed(0)
    head = build_head(head_cfg(with_mask=False))
    stage0 = head.bbox_head[0]
    rois = torch.tensor([[0, 4., 4., 30., 30.], [0, 0., 0., 10., 10.]])
    cls_score = torch.tensor([[0., 0., 0., 9.], [0., 5., 1., 9.]])  # background scores highest
    bbox_pred = torch.tensor([[1., 0., 0., 0.], [0., 1., 0., 0.]])
    targets = (torch.tensor([2, C]), None, None, None)  # a positive of class 2, a negative
    res = type('R', (), dict(pos_is_gt=torch.tensor([0], dtype=torch.uint8)))()
    refined = head._refine_train_rois(0, dict(cls_score=cls_score, bbox_pred=bbox_pred,
                                              rois=rois, bbox_targets=targets), [res],
                                      metas(1))
    # class-agnostic deltas (stds 0.1): x moves 0.1 * 26, then y moves 0.1 * 10
    np.testing.assert_allclose(refined[0].numpy(), [[6.6, 4., 32.6, 30.], [0., 1., 10., 11.]],
                               atol=1e-5)
    # the label a negative is regressed with is its best foreground class (here 1)
    head_cs = build_head(dict(head_cfg(with_mask=False),
                              bbox_head=[bbox_head(s, agnostic=False) for s in STDS]))
    pred_cs = torch.zeros(2, 4 * C)
    pred_cs[1, 4:8] = torch.tensor([0., 1., 0., 0.])  # class 1's deltas
    pred_cs[1, 0:4] = torch.tensor([9., 9., 0., 0.])  # class 0's: not to be used
    refined = head_cs._refine_train_rois(0, dict(cls_score=cls_score, bbox_pred=pred_cs,
                                                 rois=rois, bbox_targets=targets), [res],
                                         metas(1))
    np.testing.assert_allclose(refined[0][1].numpy(), [0., 1., 10., 11.], atol=1e-5)
    assert stage0.num_classes == C


# -- inference ---------------------------------------------------------------------------
def _constant_head(with_mask=True, mask_biases=(3., -1., 0.)):
    """A head whose outputs do not depend on the features: zero weights, chosen biases.

    Stage s gives the logits ``cls_bias[s]`` and zero deltas, so boxes stay the proposals
    and the ensemble's scores are softmax(mean_s cls_bias[s]); mask stage s gives
    sigmoid(mask_biases[s]) everywhere.
    """
    head = build_head(head_cfg(with_mask=with_mask))
    cls_bias = torch.tensor([[2., 0., -1., 0.], [0., 1., 0., -1.], [1., 2., 0., 1.]])
    with torch.no_grad():
        for s in range(3):
            for p in head.bbox_head[s].parameters():
                p.zero_()
            head.bbox_head[s].fc_cls.bias.copy_(cls_bias[s])
            if with_mask:
                for p in head.mask_head[s].parameters():
                    p.zero_()
                head.mask_head[s].conv_logits.bias.fill_(mask_biases[s])
    return head.eval(), torch.softmax(cls_bias.mean(0), 0)


def test_simple_test_ensembles_stage_scores_and_rescales():
    head, scores = _constant_head()
    m = metas()
    m[0]['scale_factor'] = np.array([2., 2., 2., 2.], np.float32)
    m[0]['ori_shape'] = (32, 32, 3)
    proposals = [torch.tensor([[4., 4., 20., 20., .9], [36., 36., 60., 56., .5]]),
                 torch.zeros(0, 5)]
    with torch.no_grad():
        results = head.simple_test(feats(), proposals, m, rescale=True)
    bbox_results, segm_results = results[0]
    assert len(bbox_results) == len(segm_results) == C
    for c in range(C):
        # both proposals, unchanged and halved to the original image, with the mean score
        order = np.argsort(bbox_results[c][:, 0])
        np.testing.assert_allclose(bbox_results[c][order],
                                   [[2., 2., 10., 10., scores[c]], [18., 18., 30., 28., scores[c]]],
                                   rtol=1e-5, atol=1e-5)
        assert bbox_results[c].dtype == np.float32
        # mean mask probability (sigmoid 3, -1, 0) = 0.574 >= 0.5: the whole box is set
        for box, mask in zip(bbox_results[c], segm_results[c]):
            assert mask.shape == (32, 32) and mask.dtype == np.bool_
            x1, y1, x2, y2 = box[:4].astype(int)
            assert mask[y1:y2, x1:x2].all() and mask.sum() == (x2 - x1) * (y2 - y1)
    assert [b.shape for b in results[1][0]] == [(0, 5)] * C
    assert results[1][1] == [[] for _ in range(C)]


def test_mask_ensemble_is_the_mean_of_probabilities():
    # sigmoid(3) + 2 sigmoid(-1) = 1.491 < 1.5: below the 0.5 threshold, although the mean
    # logit (1/3) is above 0 — the stages' probabilities, not their logits, are averaged
    head, _ = _constant_head(mask_biases=(3., -1., -1.))
    proposals = [torch.tensor([[4., 4., 20., 20.]])]
    with torch.no_grad():
        bbox_results, segm_results = head.simple_test(feats(1), proposals, metas(1))[0]
    assert sum(len(s) for s in segm_results) == C
    assert not any(m.any() for s in segm_results for m in s)


def test_box_only_results_and_empty_batch():
    head, _ = _constant_head(with_mask=False)
    with torch.no_grad():
        results = head.simple_test(feats(), [torch.zeros(0, 4)] * 2, metas())
        assert len(results) == 2
        assert all([(b.shape, b.dtype) for b in r] == [((0, 5), np.float32)] * C
                   for r in results)
        results = head.simple_test(feats(), [torch.tensor([[4., 4., 20., 20.]])] * 2, metas())
    assert all(isinstance(r, list) and len(r) == C for r in results)


def test_refinement_between_stages_at_test_time():
    """Stage 0 moves every box 0.1 * w right; the last stage regresses the moved boxes."""
    head, scores = _constant_head(with_mask=False)
    with torch.no_grad():
        head.bbox_head[0].fc_reg.bias.copy_(torch.tensor([1., 0., 0., 0.]))
        head.bbox_head[2].fc_reg.bias.copy_(torch.tensor([0., 1., 0., 0.]))
        results = head.simple_test(feats(1), [torch.tensor([[4., 4., 24., 14.]])], metas(1))
    # stage 0: x += 0.1 * 20 = 2; stage 1: no change; stage 2: y += 0.033 * 10
    for c in range(C):
        np.testing.assert_allclose(results[0][c], [[6., 4.33, 26., 14.33, scores[c]]],
                                   rtol=1e-5, atol=1e-5)


def test_aug_test_with_a_flip_maps_back_to_the_original_image():
    head, scores = _constant_head()
    size = 64
    m = metas(1)
    flipped = [dict(m[0], flip=True, flip_direction='horizontal')]
    x = feats(1)
    x_flip = [f.flip(-1) for f in x]
    proposals = [torch.tensor([[4., 4., 20., 20., .9], [30., 40., 60., 56., .5]])]
    with torch.no_grad():
        bbox_result, segm_result = head.aug_test([x, x_flip], proposals, [m, flipped],
                                                 rescale=True)[0]
    for c in range(C):
        order = np.argsort(bbox_result[c][:, 0])
        np.testing.assert_allclose(bbox_result[c][order],
                                   [[4., 4., 20., 20., scores[c]], [30., 40., 60., 56., scores[c]]],
                                   rtol=1e-5, atol=1e-4)
        for box, mask in zip(bbox_result[c], segm_result[c]):
            x1, y1, x2, y2 = box[:4].round().astype(int)
            assert mask.shape == (size, size)
            assert mask[y1:y2, x1:x2].all() and mask.sum() == (x2 - x1) * (y2 - y1)
    # rescale=False: boxes in the first augmentation's scale
    m2 = [dict(m[0], scale_factor=np.full(4, 2., np.float32), img_shape=(128, 128, 3))]
    with torch.no_grad():
        bbox_result = head.aug_test([feats(1, 128)], proposals, [m2], rescale=False)[0][0]
    np.testing.assert_allclose(np.sort(bbox_result[0][:, 0]), [8., 60.], atol=1e-4)
