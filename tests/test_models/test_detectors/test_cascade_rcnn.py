"""CascadeRCNN: the MMDetection configs build with MMDetection's state-dict keys; a training
step with an image without gts, and a batch without any positive, gives finite stage losses
whose gradients reach every stage; results come in the seed's format (also flip aug_test,
show_result of the multi-stage dict); the synthetic config overfits 8 images (slow)."""
import copy
import json
import os.path as osp
import pathlib

import numpy as np
import pytest
import torch

from detkit.config import Config
from detkit.models import build_detector
from detkit.structures import BitmapMasks

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
COMPAT = pathlib.Path('/work/shared/compat')
SYNTHETIC = osp.join(ROOT, 'configs/synthetic/cascade_rcnn_r18_fpn_synthetic.py')


def expected_roi_head_entries(with_mask, num_classes=80):
    """MMDetection 2.25's roi_head entries of the R50-FPN cascade configs, in module order:
    CascadeRoIHead builds bbox_head (a ModuleList of Shared2FCBBoxHead, whose BBoxHead
    part makes fc_cls/fc_reg before ConvFCBBoxHead adds shared_fcs), then mask_head (a
    ModuleList of FCNMaskHead: convs.i.conv, upsample (deconv), conv_logits); RoIAlign
    extractors hold no state. reg_class_agnostic=True: fc_reg has 4 outputs."""
    entries = []
    for s in range(3):
        p = f'roi_head.bbox_head.{s}.'
        entries += [(p + 'fc_cls.weight', [num_classes + 1, 1024]),
                    (p + 'fc_cls.bias', [num_classes + 1]),
                    (p + 'fc_reg.weight', [4, 1024]), (p + 'fc_reg.bias', [4]),
                    (p + 'shared_fcs.0.weight', [1024, 256 * 7 * 7]),
                    (p + 'shared_fcs.0.bias', [1024]),
                    (p + 'shared_fcs.1.weight', [1024, 1024]), (p + 'shared_fcs.1.bias', [1024])]
    if with_mask:
        for s in range(3):
            p = f'roi_head.mask_head.{s}.'
            for i in range(4):
                entries += [(p + f'convs.{i}.conv.weight', [256, 256, 3, 3]),
                            (p + f'convs.{i}.conv.bias', [256])]
            entries += [(p + 'upsample.weight', [256, 256, 2, 2]), (p + 'upsample.bias', [256]),
                        (p + 'conv_logits.weight', [num_classes, 256, 1, 1]),
                        (p + 'conv_logits.bias', [num_classes])]
    return entries


@pytest.mark.parametrize('name,with_mask', [('cascade_rcnn_r50_fpn_1x_coco', False),
                                            ('cascade_mask_rcnn_r50_fpn_1x_coco', True)])
def test_mmdet_configs_build_with_mmdet_state_dict_keys(name, with_mask):
    cfg = Config.fromfile(osp.join(ROOT, f'configs/cascade_rcnn/{name}.py'))
    assert cfg.model.roi_head.num_stages == 3
    assert [h.reg_class_agnostic for h in cfg.model.roi_head.bbox_head] == [True] * 3
    assert [r.assigner.pos_iou_thr for r in cfg.model.train_cfg.rcnn] == [0.5, 0.6, 0.7]
    model = build_detector(cfg.model)  # builds without the pretrained weights
    assert type(model).__name__ == 'CascadeRCNN' and model.with_mask == with_mask
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    # backbone, neck and RPN are Mask R-CNN's: MMDetection's recorded entries for them
    mask_rcnn = json.loads((COMPAT / 'mask_rcnn_r50_fpn_1x_coco.json').read_text())
    shared = [tuple(e) for e in mask_rcnn['state_dict'] if not e[0].startswith('roi_head.')]
    assert ours == shared + expected_roi_head_entries(with_mask)


def tiny_cfg(with_mask=False):
    cfg = Config.fromfile(SYNTHETIC)
    model = copy.deepcopy(cfg.model)
    # fewer RoIs than the config's: the tests check plumbing, not accuracy
    model.train_cfg.rpn_proposal.max_per_img = 64
    model.test_cfg.rpn.max_per_img = 32
    model.test_cfg.rcnn.max_per_img = 10
    for rcnn in model.train_cfg.rcnn:
        rcnn.sampler.num = 32
    if with_mask:
        model.roi_head.mask_roi_extractor = dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=64, featmap_strides=[4, 8, 16, 32])
        model.roi_head.mask_head = dict(type='FCNMaskHead', num_convs=1, in_channels=64,
                                        conv_out_channels=16, num_classes=6)
        for rcnn in model.train_cfg.rcnn:
            rcnn.mask_size = 28
        model.test_cfg.rcnn.mask_thr_binary = 0.5
    return model


def batch(gts=True, size=64):
    torch.manual_seed(0)
    img = torch.randn(2, 3, size, size)
    metas = [dict(img_shape=(size, size, 3), pad_shape=(size, size, 3),
                  ori_shape=(size // 2, size // 2, 3), scale_factor=np.full(4, 2., np.float32),
                  flip=False, flip_direction='horizontal') for _ in range(2)]
    boxes = torch.tensor([[4., 6., 30., 40.], [24., 20., 60., 50.]]) if gts else torch.zeros(0, 4)
    gt_bboxes = [boxes, torch.zeros(0, 4)]
    gt_labels = [torch.tensor([1, 4][:len(boxes)]), torch.zeros(0, dtype=torch.long)]
    masks = []
    for b in gt_bboxes:
        m = np.zeros((len(b), size, size), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(b.int().tolist()):
            m[i, y1:y2, x1:x2] = 1
        masks.append(BitmapMasks(m, size, size))
    return img, metas, gt_bboxes, gt_labels, masks


def check_stage_gradients(model, losses, positives):
    stage_keys = {f's{s}.{k}' for s in range(3) for k in ('loss_cls', 'acc', 'loss_bbox')}
    if model.with_mask:
        stage_keys |= {f's{s}.loss_mask' for s in range(3)}
    assert set(losses) == stage_keys | {'loss_rpn_cls', 'loss_rpn_bbox'}
    loss, log_vars = model._parse_losses(losses)
    assert all(np.isfinite(v) for v in log_vars.values()), log_vars
    loss.backward()
    for s in range(3):
        assert (losses[f's{s}.loss_bbox'].item() > 0) == positives
        for name, p in model.roi_head.bbox_head[s].named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), (s, name)
        assert model.roi_head.bbox_head[s].fc_cls.weight.grad.abs().sum() > 0
        if positives:
            assert model.roi_head.bbox_head[s].fc_reg.weight.grad.abs().sum() > 0
        if model.with_mask:
            for name, p in model.roi_head.mask_head[s].named_parameters():
                assert p.grad is not None and torch.isfinite(p.grad).all(), (s, name)
            conv_logits_grad = model.roi_head.mask_head[s].conv_logits.weight.grad
            assert (conv_logits_grad.abs().sum() > 0) == positives
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('with_mask', [False, True])
def test_train_with_an_image_without_gts(with_mask):
    model = build_detector(tiny_cfg(with_mask))
    model.init_weights()
    model.train()
    img, metas, gt_bboxes, gt_labels, masks = batch()
    kwargs = dict(gt_masks=masks) if with_mask else {}
    losses = model.forward_train(img, metas, gt_bboxes, gt_labels, **kwargs)
    check_stage_gradients(model, losses, positives=True)


def test_train_without_any_positive_in_the_batch():
    model = build_detector(tiny_cfg(with_mask=True))
    model.init_weights()
    model.train()
    img, metas, gt_bboxes, gt_labels, masks = batch(gts=False)
    losses = model.forward_train(img, metas, gt_bboxes, gt_labels, gt_masks=masks)
    check_stage_gradients(model, losses, positives=False)


@pytest.mark.parametrize('with_mask', [False, True])
def test_simple_test_and_flip_aug_test_formats(with_mask):
    torch.manual_seed(0)
    model = build_detector(tiny_cfg(with_mask))
    model.init_weights()
    model.eval()
    # low score_thr: the untrained model still returns detections to check
    model.roi_head.test_cfg['score_thr'] = 0.0
    img, metas, *_ = batch()
    with torch.no_grad():
        results = model.simple_test(img, metas, rescale=True)
        flip_metas = [[metas[0]], [dict(metas[0], flip=True)]]
        aug = model.aug_test([img[:1], img[:1].flip(-1)], flip_metas, rescale=True)
    assert len(results) == 2 and len(aug) == 1
    for result in results + aug:
        bbox_result, segm_result = result if with_mask else (result, None)
        assert isinstance(bbox_result, list) and len(bbox_result) == 6
        assert all(b.dtype == np.float32 and b.shape[1] == 5 for b in bbox_result)
        dets = np.concatenate(bbox_result)
        assert 0 < len(dets) <= 10
        # rescaled to the 32 px original image
        assert (dets[:, :4] >= 0).all() and (dets[:, :4] <= 32 + 1e-3).all()
        if with_mask:
            assert [len(s) for s in segm_result] == [len(b) for b in bbox_result]
            assert all(m.shape == (32, 32) and m.dtype == np.bool_
                       for s in segm_result for m in s)


def test_show_result_takes_the_multi_stage_dict():
    model = build_detector(tiny_cfg())
    model.CLASSES = ('a', 'b', 'c', 'd', 'e', 'f')
    img = np.zeros((32, 32, 3), np.uint8)
    result = [np.zeros((0, 5), np.float32) for _ in range(6)]
    result[2] = np.array([[4., 4., 20., 24., 0.9]], np.float32)
    plain = model.show_result(img, result, score_thr=0.3)
    from_dict = model.show_result(img, dict(ensemble=result), score_thr=0.3)
    np.testing.assert_array_equal(plain, from_dict)
    assert (plain != img).any()  # something was drawn
    mask_model = build_detector(tiny_cfg(with_mask=True))
    mask_model.CLASSES = model.CLASSES
    segm = [[] for _ in range(6)]
    segm[2] = [np.zeros((32, 32), bool)]
    segm[2][0][4:24, 4:20] = True
    plain = mask_model.show_result(img, (result, segm), score_thr=0.3)
    from_dict = mask_model.show_result(img, (dict(ensemble=result), dict(ensemble=segm)),
                                       score_thr=0.3)
    np.testing.assert_array_equal(plain, from_dict)


SIZE = 128
ITERS = 50  # bbox mAP@0.5 0.98 after 50 steps (0.79 after 30)


def synthetic_batch(cfg):
    """8 scenes of 1-3 shapes each, normalised as the config's pipeline does."""
    from detkit.datasets.synthetic import SyntheticShapes
    gen = SyntheticShapes(img_size=(SIZE, SIZE), classes=cfg.classes, max_objects=3,
                          empty_prob=0, crowd_prob=0)
    mean = np.array(cfg.img_norm_cfg.mean, np.float32)
    std = np.array(cfg.img_norm_cfg.std, np.float32)
    imgs, gt_bboxes, gt_labels = [], [], []
    for i in range(8):
        img, anns = gen.generate(np.random.default_rng(i))
        rgb = img[..., ::-1].astype(np.float32)  # to_rgb=True
        imgs.append(torch.from_numpy(((rgb - mean) / std).transpose(2, 0, 1).copy()))
        # COCO [x, y, w, h] -> x1, y1, x2, y2
        boxes = [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                  a['bbox'][1] + a['bbox'][3]] for a in anns]
        gt_bboxes.append(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4))
        gt_labels.append(torch.tensor([a['label'] for a in anns], dtype=torch.long))
    metas = [dict(img_shape=(SIZE, SIZE, 3), pad_shape=(SIZE, SIZE, 3),
                  ori_shape=(SIZE, SIZE, 3), scale_factor=np.ones(4, np.float32), flip=False,
                  flip_direction=None) for _ in range(8)]
    return torch.stack(imgs), metas, gt_bboxes, gt_labels


@pytest.mark.slow
def test_synthetic_config_overfits_eight_images():
    """The synthetic config's model, on 128 px scenes (smaller than its 256 px to keep the
    test short); AdamW replaces the config's SGD epoch schedule, as in the RetinaNet test.
    Slow: 50 steps of a ResNet-18 Cascade R-CNN on 8 images."""
    from detkit.engine import build_optimizer
    from detkit.evaluation import eval_map
    torch.manual_seed(0)
    cfg = Config.fromfile(SYNTHETIC)
    img, metas, gt_bboxes, gt_labels = synthetic_batch(cfg)
    assert sum(len(b) for b in gt_bboxes) >= 12
    model = build_detector(cfg.model)
    model.init_weights()
    model.train()
    optimizer = build_optimizer(model, dict(type='AdamW', lr=1e-3, weight_decay=0.0,
                                            foreach=True))
    data = dict(img=img, img_metas=metas, gt_bboxes=gt_bboxes, gt_labels=gt_labels)
    losses = []
    for _ in range(ITERS):
        out = model.train_step(data, optimizer)
        optimizer.zero_grad()
        out['loss'].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), **cfg.optimizer_config.grad_clip)
        optimizer.step()
        losses.append(out['log_vars']['loss'])
    assert all(np.isfinite(losses))
    # the first (seeded) step against the mean of the last ten: 4.06 vs about 0.45
    assert losses[0] >= 4 * np.mean(losses[-10:]), losses[::10]
    model.eval()
    with torch.no_grad():
        results = model.simple_test(img, metas, rescale=True)
    annotations = [dict(bboxes=b.numpy(), labels=l.numpy()) for b, l in zip(gt_bboxes, gt_labels)]
    mean_ap, _ = eval_map(results, annotations, iou_thr=0.5, logger='silent', nproc=1)
    assert mean_ap >= 0.9, mean_ap
