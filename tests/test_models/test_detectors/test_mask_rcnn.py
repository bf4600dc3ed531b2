"""Mask R-CNN: MMDetection's checkpoint keys, mask features and head outputs equal
torchvision's, training with empty images, (bbox, segm) results, overfitting (slow)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from detkit.config import Config
from detkit.models import build_detector, build_head
from detkit.structures import PolygonMasks, encode_mask_results

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SYNTHETIC = osp.join(ROOT, 'configs/synthetic/mask_rcnn_r18_fpn_synthetic.py')
CONFIG = osp.join(ROOT, 'configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py')


def test_r50_fpn_state_dict_matches_mmdetection():
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    model = build_detector(cfg.model)
    with open('/work/shared/compat/mask_rcnn_r50_fpn_1x_coco.json') as f:
        ref = json.load(f)
    assert type(model).__name__ == ref['detector_type']
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == ref['state_dict']
    assert sum(p.numel() for p in model.parameters()) == ref['num_params']
    assert not model.roi_head.share_roi_extractor


def test_mask_features_and_head_match_torchvision():
    """torchvision pools masks with sampling_ratio=2, aligned=False (set in our
    roi_layer here); box sides sqrt(area) in {40, 90, 150, 300, 500} map to the same
    levels [0, 0, 1, 2, 3] under both level formulas."""
    from torchvision.models.detection import maskrcnn_resnet50_fpn
    torch.manual_seed(0)
    tv = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None).eval()
    cfg = Config.fromfile(CONFIG).model.roi_head
    cfg.mask_roi_extractor.roi_layer.update(sampling_ratio=2, aligned=False)
    cfg.bbox_head.num_classes = cfg.mask_head.num_classes = 90
    roi_head = build_head(dict(cfg, test_cfg=dict(mask_thr_binary=0.5))).eval()
    tv_convs = [m for m in tv.roi_heads.mask_head.modules() if isinstance(m, torch.nn.Conv2d)]
    for ours, theirs in zip(roi_head.mask_head.convs, tv_convs):
        ours.conv.load_state_dict(theirs.state_dict())
    pred = tv.roi_heads.mask_predictor
    roi_head.mask_head.upsample.load_state_dict(pred.conv5_mask.state_dict())
    roi_head.mask_head.conv_logits.weight.data.copy_(pred.mask_fcn_logits.weight[1:])
    roi_head.mask_head.conv_logits.bias.data.copy_(pred.mask_fcn_logits.bias[1:])

    img = 512
    feats = [torch.randn(1, 256, img // s, img // s) for s in (4, 8, 16, 32)]
    sides = [40., 90., 150., 300., 500.]
    boxes = torch.tensor([[2. + 3 * i, 7., 2. + 3 * i + s, 7. + s] for i, s in enumerate(sides)])
    rois = torch.cat([boxes.new_zeros(5, 1), boxes], 1)
    assert roi_head.mask_roi_extractor.map_roi_levels(rois, 4).tolist() == [0, 0, 1, 2, 3]
    with torch.no_grad():
        ours = roi_head._mask_forward(feats, rois)
        tv_feats = tv.roi_heads.mask_roi_pool({str(i): f for i, f in enumerate(feats)},
                                              [boxes], [(img, img)])
        tv_logits = pred(tv.roi_heads.mask_head(tv_feats))
    torch.testing.assert_close(ours['mask_feats'], tv_feats, rtol=0, atol=1e-5)
    torch.testing.assert_close(ours['mask_pred'], tv_logits[:, 1:], rtol=0, atol=1e-5)


def test_mask_num_classes_unlike_bbox_head_is_refused():
    cfg = Config.fromfile(SYNTHETIC)
    cfg.model.roi_head.mask_head.num_classes = 80
    with pytest.raises(ValueError, match=r'mask_head.num_classes \(80, FCNMaskHead\) must '
                                         r'equal bbox_head.num_classes \(6, Shared2FCBBoxHead\)'):
        build_detector(cfg.model)


SIZE = 64


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = build_detector(Config.fromfile(SYNTHETIC).model)
    m.init_weights()
    return m


def metas(n):
    return [dict(img_shape=(SIZE, SIZE, 3), pad_shape=(SIZE, SIZE, 3),
                 ori_shape=(SIZE, SIZE, 3), scale_factor=np.ones(4, np.float32), flip=False,
                 flip_direction=None) for _ in range(n)]


def square(x1, y1, x2, y2):
    return [np.array([x1, y1, x2, y1, x2, y2, x1, y2], dtype=np.float64)]


def test_train_with_an_empty_image(model):
    torch.manual_seed(0)
    model.train()
    gt_bboxes = [torch.tensor([[5., 6., 40., 30.], [30., 30., 60., 62.]]), torch.zeros(0, 4)]
    gt_masks = [PolygonMasks([square(5, 6, 40, 30), square(30, 30, 60, 62)], SIZE, SIZE),
                PolygonMasks([], SIZE, SIZE)]
    losses = model(torch.randn(2, 3, SIZE, SIZE), metas(2), gt_bboxes=gt_bboxes,
                   gt_labels=[torch.tensor([1, 4]), torch.zeros(0, dtype=torch.long)],
                   gt_masks=gt_masks)
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'acc', 'loss_bbox',
                           'loss_mask'}
    loss, log_vars = model._parse_losses(losses)
    assert all(np.isfinite(v) for v in log_vars.values()) and log_vars['loss_mask'] > 0
    model.zero_grad()
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.roi_head.mask_head.conv_logits.weight.grad.abs().sum() > 0


def test_train_without_any_positive(model):
    model.train()
    losses = model(torch.randn(2, 3, SIZE, SIZE), metas(2), gt_bboxes=[torch.zeros(0, 4)] * 2,
                   gt_labels=[torch.zeros(0, dtype=torch.long)] * 2,
                   gt_masks=[PolygonMasks([], SIZE, SIZE)] * 2)
    loss, log_vars = model._parse_losses(losses)
    assert all(np.isfinite(v) for v in log_vars.values())
    assert log_vars['loss_mask'] == 0 and log_vars['loss_bbox'] == 0
    model.zero_grad()
    loss.backward()
    assert model.roi_head.mask_head.conv_logits.weight.grad is not None


def test_results_are_bbox_and_segm_per_class(model):
    torch.manual_seed(0)
    model.eval()
    with torch.no_grad():
        results = model(img=[torch.randn(1, 3, SIZE, SIZE)], img_metas=[metas(1)],
                        return_loss=False, rescale=True)
    bbox_results, segm_results = results[0]
    assert len(bbox_results) == len(segm_results) == 6
    assert sum(len(b) for b in bbox_results) > 0
    for dets, masks in zip(bbox_results, segm_results):
        assert len(masks) == len(dets)
        assert all(m.shape == (SIZE, SIZE) and m.dtype == np.bool_ for m in masks)
    encoded = encode_mask_results(segm_results)
    first = next(c for c in encoded if len(c))
    assert isinstance(first[0], dict) and {'size', 'counts'} <= set(first[0])
    assert list(first[0]['size']) == [SIZE, SIZE]


@pytest.mark.slow
# ~100 one-batch steps take a few minutes on 2 idle cores; a shared machine may need
# far longer than the default 600 s
@pytest.mark.timeout(1800)
def test_overfits_eight_synthetic_images(tmp_path):
    """tools/train.py then tools/test.py --eval bbox segm on 8 synthetic 128 px scenes."""
    from test_faster_rcnn import _train_and_test
    bbox_map50, (segm_map50, ) = _train_and_test(tmp_path, 'mask_rcnn', ['bbox', 'segm'])
    assert bbox_map50 >= 0.9 and segm_map50 >= 0.8
