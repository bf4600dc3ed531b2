"""StandardRoIHead: build checks, training with empty images / no positives (finite
losses, gradients), shared extractor, test-time results and merging of augmentations."""
import numpy as np
import pytest
import torch

from detkit.models import build_head
from detkit.models.roi_heads import merge_aug_bboxes, merge_aug_masks
from detkit.structures import BitmapMasks

C = 3
CH = 8
STRIDES = [4, 8]


def head_cfg(with_mask=True, share=False, mask_classes=C):
    cfg = dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(type='SingleRoIExtractor',
                                roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                                out_channels=CH, featmap_strides=STRIDES),
        bbox_head=dict(type='Shared2FCBBoxHead', in_channels=CH, fc_out_channels=32,
                       roi_feat_size=7, num_classes=C,
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        train_cfg=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                          min_pos_iou=0.5, match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=32, pos_fraction=0.25, neg_pos_ub=-1,
                         add_gt_as_proposals=True),
            mask_size=14 if share else 28, pos_weight=-1, debug=False),
        test_cfg=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5), max_per_img=10,
                      mask_thr_binary=0.5))
    if with_mask:
        cfg['mask_head'] = dict(type='FCNMaskHead', num_convs=1, in_channels=CH,
                                conv_out_channels=CH, num_classes=mask_classes)
        if not share:
            cfg['mask_roi_extractor'] = dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
                out_channels=CH, featmap_strides=STRIDES)
    return cfg


def feats(batch=2, size=64):
    return [torch.randn(batch, CH, size // s, size // s) for s in STRIDES]


def metas(batch=2, size=64):
    return [dict(img_shape=(size, size, 3), pad_shape=(size, size, 3), ori_shape=(size, size, 3),
                 scale_factor=np.ones(4, np.float32), flip=False, flip_direction=None)
            for _ in range(batch)]


def gt_masks_for(boxes, size=64):
    masks = np.zeros((len(boxes), size, size), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.int().tolist()):
        masks[i, y1:y2, x1:x2] = 1
    return BitmapMasks(masks, size, size)


def test_mask_num_classes_mismatch_names_both():
    with pytest.raises(ValueError, match=r'mask_head.num_classes \(5, FCNMaskHead\) must equal '
                                         r'bbox_head.num_classes \(3, Shared2FCBBoxHead\)'):
        build_head(head_cfg(mask_classes=5))
    # a class-agnostic mask head has one mask whatever the classes
    cfg = head_cfg(mask_classes=1)
    cfg['mask_head']['class_agnostic'] = True
    build_head(cfg)


def test_train_with_empty_image_gives_finite_losses_and_gradients():
    torch.manual_seed(0)
    head = build_head(head_cfg())
    head.init_weights()
    x = [f.requires_grad_() for f in feats()]
    gt_bboxes = [torch.tensor([[4., 4., 30., 30.], [20., 30., 60., 60.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([0, 2]), torch.zeros(0, dtype=torch.long)]
    proposals = [torch.tensor([[5., 5., 29., 31., .9], [0., 0., 10., 10., .5]]),
                 torch.tensor([[1., 1., 40., 40., .8]])]
    losses = head.forward_train(x, metas(), proposals, gt_bboxes, gt_labels, None,
                                [gt_masks_for(gt_bboxes[0]), gt_masks_for(gt_bboxes[1])])
    assert set(losses) == {'loss_cls', 'acc', 'loss_bbox', 'loss_mask'}
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert losses['loss_bbox'].item() > 0 and losses['loss_mask'].item() > 0
    total = losses['loss_cls'] + losses['loss_bbox'] + losses['loss_mask'].sum()
    total.backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert head.bbox_head.fc_reg.weight.grad.abs().sum() > 0
    assert head.mask_head.conv_logits.weight.grad.abs().sum() > 0
    # every RoI is under 112 px: level 0 gets the gradient, level 1 a zero one
    assert x[0].grad.abs().sum() > 0 and x[1].grad is not None


@pytest.mark.parametrize('share', [False, True])
def test_no_positive_in_batch(share):
    torch.manual_seed(0)
    head = build_head(head_cfg(share=share))
    head.init_weights()
    empty = [torch.zeros(0, 4), torch.zeros(0, 4)]
    proposals = [torch.tensor([[5., 5., 29., 31.]]), torch.tensor([[1., 1., 40., 40.]])]
    losses = head.forward_train(feats(), metas(), proposals, empty,
                                [torch.zeros(0, dtype=torch.long)] * 2, None,
                                [BitmapMasks(np.zeros((0, 64, 64), np.uint8), 64, 64)] * 2)
    assert losses['loss_bbox'].item() == 0 and losses['loss_mask'].sum().item() == 0
    assert losses['loss_cls'].item() > 0 and torch.isfinite(losses['loss_cls'])
    (losses['loss_cls'] + losses['loss_bbox'] + losses['loss_mask'].sum()).backward()
    # the zero losses still reach their layers (so DDP sees every parameter used)
    assert head.bbox_head.fc_reg.weight.grad is not None
    assert head.mask_head.conv_logits.weight.grad is not None
    assert head.mask_head.conv_logits.weight.grad.abs().sum() == 0


def test_shared_roi_extractor_feeds_positive_box_features():
    torch.manual_seed(0)
    head = build_head(head_cfg(share=True))
    assert head.share_roi_extractor and head.mask_roi_extractor is head.bbox_roi_extractor
    x = feats(1)
    gt = [torch.tensor([[4., 4., 30., 30.]])]
    res = head.bbox_sampler.sample(head.bbox_assigner.assign(gt[0], gt[0], None,
                                                             torch.tensor([1])),
                                   gt[0], gt[0], torch.tensor([1]))
    bbox_results = head._bbox_forward_train(x, [res], gt, [torch.tensor([1])], metas(1))
    out = head._mask_forward_train(x, [res], bbox_results['bbox_feats'],
                                   [gt_masks_for(gt[0])], metas(1))
    n_pos = len(res.pos_inds)
    # 7x7 box features, upsampled 2x by the deconv
    assert out['mask_pred'].shape == (n_pos, C, 14, 14)
    torch.testing.assert_close(out['mask_pred'],
                               head.mask_head(bbox_results['bbox_feats'][:n_pos]))


def test_missing_train_cfg_and_masks():
    cfg = head_cfg()
    cfg['train_cfg'] = None
    head = build_head(cfg)
    with pytest.raises(RuntimeError, match='built without a train_cfg'):
        head.forward_train(feats(), metas(), [torch.zeros(1, 4)] * 2, [torch.zeros(0, 4)] * 2,
                           [torch.zeros(0, dtype=torch.long)] * 2)
    head = build_head(head_cfg())
    with pytest.raises(ValueError, match='needs gt_masks'):
        head.forward_train(feats(), metas(), [torch.zeros(1, 4)] * 2, [torch.zeros(0, 4)] * 2,
                           [torch.zeros(0, dtype=torch.long)] * 2)
    cfg = head_cfg()
    del cfg['train_cfg']['sampler']
    with pytest.raises(KeyError, match="has no 'sampler'"):
        build_head(cfg)


def test_simple_test_results():
    torch.manual_seed(0)
    head = build_head(head_cfg())
    head.init_weights()
    head.eval()
    m = metas()
    m[1]['scale_factor'] = np.array([2., 2., 2., 2.], np.float32)
    m[1]['ori_shape'] = (32, 32, 3)
    proposals = [torch.tensor([[5., 5., 29., 31., .9], [30., 30., 60., 50., .5]]),
                 torch.zeros(0, 5)]
    with torch.no_grad():
        results = head.simple_test(feats(), proposals, m, rescale=True)
    assert len(results) == 2
    bbox_results, segm_results = results[0]
    assert len(bbox_results) == C and len(segm_results) == C
    for c in range(C):
        assert bbox_results[c].dtype == np.float32 and bbox_results[c].shape[1] == 5
        assert len(segm_results[c]) == len(bbox_results[c])
        assert all(s.shape == (64, 64) and s.dtype == np.bool_ for s in segm_results[c])
    # every (proposal, class) pair scores > 0: up to 2 * C detections, max_per_img caps at 10
    assert sum(len(b) for b in bbox_results) == 2 * C
    # an image without proposals has empty results of the right layout
    assert [b.shape for b in results[1][0]] == [(0, 5)] * C
    assert results[1][1] == [[] for _ in range(C)]
    # box-only head returns plain per-class lists
    head = build_head(head_cfg(with_mask=False)).eval()
    with torch.no_grad():
        results = head.simple_test(feats(), proposals, m, rescale=False)
    assert isinstance(results[0], list) and len(results[0]) == C


def test_aug_test_with_identity_augmentations_equals_simple_test():
    torch.manual_seed(0)
    head = build_head(head_cfg())
    head.init_weights()
    head.eval()
    x = feats(1)
    m = metas(1)
    proposals = [torch.tensor([[5., 5., 29., 31., .9], [30., 30., 60., 50., .5]])]
    with torch.no_grad():
        single = head.simple_test(x, proposals, m, rescale=True)[0]
        aug = head.aug_test([x, x], proposals, [m, m], rescale=True)[0]
    for c in range(C):
        np.testing.assert_allclose(aug[0][c], single[0][c], rtol=1e-5, atol=1e-4)
        assert all((a == b).all() for a, b in zip(aug[1][c], single[1][c]))


def test_merge_aug_bboxes_and_masks_by_hand():
    meta = dict(img_shape=(10, 20, 3), scale_factor=np.array([2., 2., 2., 2.], np.float32),
                flip=False, flip_direction=None)
    flipped = dict(meta, flip=True, flip_direction='horizontal')
    boxes = torch.tensor([[2., 4., 6., 8.]])
    # the same box seen flipped: x -> 20 - x
    boxes_f = torch.tensor([[14., 4., 18., 8.]])
    scores = [torch.tensor([[.2, .8]]), torch.tensor([[.4, .6]])]
    merged, merged_scores = merge_aug_bboxes([boxes, boxes_f], scores, [[meta], [flipped]])
    torch.testing.assert_close(merged, torch.tensor([[1., 2., 3., 4.]]))
    torch.testing.assert_close(merged_scores, torch.tensor([[.3, .7]]))
    mask = np.arange(8, dtype=np.float64).reshape(1, 1, 2, 4)
    out = merge_aug_masks([mask, mask[..., ::-1]], [[meta], [flipped]])
    np.testing.assert_allclose(out, mask)
    out = merge_aug_masks([mask, mask[..., ::-1, :]],
                          [[meta], [dict(flipped, flip_direction='vertical')]], weights=[3, 1])
    np.testing.assert_allclose(out, mask)
    with pytest.raises(ValueError, match="invalid flip_direction 'sideways'"):
        merge_aug_masks([mask], [[dict(flipped, flip_direction='sideways')]])
