"""Faster R-CNN: MMDetection's checkpoint keys, every config builds, RoI features and
box head outputs equal torchvision's, training with empty images, results, overfitting
(slow, through tools/train.py and tools/test.py)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from detkit.config import Config
from detkit.models import build_detector

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SYNTHETIC = osp.join(ROOT, 'configs/synthetic/faster_rcnn_r18_fpn_synthetic.py')


def load_cfg(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    cfg.model.backbone.init_cfg = None  # no pretrained weights in tests
    return cfg


def test_r50_fpn_state_dict_matches_mmdetection():
    model = build_detector(load_cfg('configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py').model)
    with open('/work/shared/compat/faster_rcnn_r50_fpn_1x_coco.json') as f:
        ref = json.load(f)
    assert type(model).__name__ == ref['detector_type']
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == ref['state_dict']
    assert sum(p.numel() for p in model.parameters()) == ref['num_params']


@pytest.mark.parametrize('path,backbone,depth', [
    ('configs/faster_rcnn/faster_rcnn_r50_caffe_fpn_1x_coco.py', 'ResNet', 50),
    ('configs/faster_rcnn/faster_rcnn_r101_fpn_1x_coco.py', 'ResNet', 101),
    ('configs/faster_rcnn/faster_rcnn_x101_32x4d_fpn_1x_coco.py', 'ResNeXt', 101),
])
def test_other_configs_build(path, backbone, depth):
    cfg = load_cfg(path)
    model = build_detector(cfg.model)
    assert type(model.backbone).__name__ == backbone and model.backbone.depth == depth
    assert model.with_rpn and model.with_roi_head and not model.with_mask
    if 'caffe' in path:
        assert model.backbone.style == 'caffe'
        assert cfg.img_norm_cfg.to_rgb is False
    if 'x101' in path:
        assert model.backbone.groups == 32 and model.backbone.base_width == 4


def test_roi_features_and_box_head_match_torchvision():
    """Random-init torchvision Faster R-CNN; its box head weights are copied into ours.

    torchvision pools with sampling_ratio=2 and aligned=False, so our extractor is
    built with those roi_layer values. Boxes are chosen with sqrt(area) in
    {40, 90, 150, 200, 300, 500}: away from the level boundaries (112, 224, 448) the two
    level formulas agree (levels [0, 0, 1, 1, 2, 3])."""
    from torchvision.models.detection import fasterrcnn_resnet50_fpn
    torch.manual_seed(0)
    tv = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None).eval()
    cfg = load_cfg('configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py')
    roi_cfg = cfg.model.roi_head
    roi_cfg.bbox_roi_extractor.roi_layer.update(sampling_ratio=2, aligned=False)
    roi_cfg.bbox_head.num_classes = 90  # torchvision's 91 include the background
    from detkit.models import build_head
    roi_head = build_head(dict(roi_cfg, test_cfg=cfg.model.test_cfg.rcnn)).eval()
    ours, theirs = roi_head.bbox_head, tv.roi_heads
    ours.shared_fcs[0].load_state_dict(theirs.box_head.fc6.state_dict())
    ours.shared_fcs[1].load_state_dict(theirs.box_head.fc7.state_dict())
    order = list(range(1, 91)) + [0]  # background last
    ours.fc_cls.weight.data.copy_(theirs.box_predictor.cls_score.weight[order])
    ours.fc_cls.bias.data.copy_(theirs.box_predictor.cls_score.bias[order])
    ours.fc_reg.weight.data.copy_(theirs.box_predictor.bbox_pred.weight[4:])
    ours.fc_reg.bias.data.copy_(theirs.box_predictor.bbox_pred.bias[4:])

    img = 512
    feats = [torch.randn(2, 256, img // s, img // s) for s in (4, 8, 16, 32)]
    sides = [40., 90., 150., 200., 300., 500.]
    boxes = [torch.tensor([[3. + 7 * i, 5., 3. + 7 * i + s, 5. + s]
                           for i, s in enumerate(sides)]),
             torch.tensor([[1., 2. + i, 1. + s, 2. + i + s] for i, s in enumerate(sides[::-1])])]
    rois = torch.cat([torch.cat([torch.full((6, 1), float(i)), b], 1)
                      for i, b in enumerate(boxes)])
    assert roi_head.bbox_roi_extractor.map_roi_levels(rois, 4).tolist() == \
        [0, 0, 1, 1, 2, 3, 3, 2, 1, 1, 0, 0]
    with torch.no_grad():
        tv_feats = theirs.box_roi_pool({str(i): f for i, f in enumerate(feats)}, boxes,
                                       [(img, img)] * 2)
        results = roi_head._bbox_forward(feats, rois)
        tv_cls, tv_reg = theirs.box_predictor(theirs.box_head(tv_feats))
    torch.testing.assert_close(results['bbox_feats'], tv_feats, rtol=0, atol=1e-5)
    torch.testing.assert_close(results['cls_score'], tv_cls[:, order], rtol=0, atol=1e-5)
    torch.testing.assert_close(results['bbox_pred'], tv_reg[:, 4:], rtol=0, atol=1e-5)


# -- the synthetic R-18 model: training and test behaviour ---------------------------------
SIZE = 64


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = build_detector(Config.fromfile(SYNTHETIC).model)
    m.init_weights()
    return m


def metas(n, **kw):
    base = dict(img_shape=(SIZE, SIZE, 3), pad_shape=(SIZE, SIZE, 3), ori_shape=(SIZE, SIZE, 3),
                scale_factor=np.ones(4, np.float32), flip=False, flip_direction=None)
    return [dict(base, **kw) for _ in range(n)]


def test_train_with_an_empty_image(model):
    torch.manual_seed(0)
    model.train()
    img = torch.randn(2, 3, SIZE, SIZE)
    gt_bboxes = [torch.tensor([[5., 6., 40., 30.], [30., 30., 60., 62.]]), torch.zeros(0, 4)]
    gt_labels = [torch.tensor([1, 4]), torch.zeros(0, dtype=torch.long)]
    losses = model(img, metas(2), gt_bboxes=gt_bboxes, gt_labels=gt_labels)
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'acc', 'loss_bbox'}
    loss, log_vars = model._parse_losses(losses)
    assert all(np.isfinite(v) for v in log_vars.values())
    assert log_vars['loss_bbox'] > 0 and log_vars['loss_rpn_bbox'] > 0
    model.zero_grad()
    loss.backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.roi_head.bbox_head.fc_reg.weight.grad.abs().sum() > 0


def test_train_without_any_positive(model):
    model.train()
    losses = model(torch.randn(2, 3, SIZE, SIZE), metas(2), gt_bboxes=[torch.zeros(0, 4)] * 2,
                   gt_labels=[torch.zeros(0, dtype=torch.long)] * 2)
    loss, log_vars = model._parse_losses(losses)
    assert all(np.isfinite(v) for v in log_vars.values())
    assert log_vars['loss_bbox'] == 0 and log_vars['loss_rpn_bbox'] == 0
    assert log_vars['loss_cls'] > 0 and log_vars['loss_rpn_cls'] > 0
    model.zero_grad()
    loss.backward()
    assert model.roi_head.bbox_head.fc_reg.weight.grad is not None
    assert model.roi_head.bbox_head.fc_cls.weight.grad.abs().sum() > 0


def test_bad_labels_and_test_cfg():
    model_cfg = Config.fromfile(SYNTHETIC).model
    with pytest.raises(KeyError, match="test_cfg must hold 'rcnn'"):
        build_detector(dict(model_cfg, test_cfg=dict(rpn=model_cfg.test_cfg.rpn)))


def test_simple_and_aug_test(model):
    torch.manual_seed(0)
    model.eval()
    img = torch.randn(2, 3, SIZE, SIZE)
    m = metas(2)
    m[1].update(scale_factor=np.full(4, 2., np.float32), ori_shape=(32, 32, 3))
    with torch.no_grad():
        results = model(img=[img], img_metas=[m], return_loss=False, rescale=True)
    assert len(results) == 2 and all(len(r) == 6 for r in results)
    for r in results:
        for dets in r:
            assert dets.dtype == np.float32 and dets.ndim == 2 and dets.shape[1] == 5
    # image 1 was scaled by 2: its boxes, rescaled, lie in the 32 px original
    boxes1 = np.concatenate(results[1])
    assert len(boxes1) and boxes1[:, :4].max() <= 32 + 1e-4
    with torch.no_grad():
        flipped = [dict(m[0], flip=True, flip_direction='horizontal')]
        aug = model(img=[img[:1], img[:1].flip(-1)], img_metas=[[m[0]], flipped],
                    return_loss=False, rescale=True)
    assert len(aug) == 1 and len(aug[0]) == 6
    assert np.concatenate(aug[0])[:, :4].max() <= SIZE + 1e-4


@pytest.mark.slow
# ~100 one-batch steps take a few minutes on 2 idle cores; a shared machine may need
# far longer than the default 600 s
@pytest.mark.timeout(1800)
def test_overfits_eight_synthetic_images(tmp_path):
    """tools/train.py then tools/test.py --eval bbox on 8 synthetic 128 px scenes."""
    bbox_map50, _ = _train_and_test(tmp_path, 'faster_rcnn', ['bbox'])
    assert bbox_map50 >= 0.9


def _train_and_test(tmp_path, kind, metrics, epochs=100):
    """Write 8 scenes, train through tools/train.py (AdamW, lr 1e-3, 100 one-batch
    epochs: the config's SGD schedule is for epochs over a dataset, not for memorising 8
    images quickly) and score the same images through tools/test.py --eval."""
    from detkit.datasets.synthetic import SyntheticShapes, make_synthetic_dataset
    gen = SyntheticShapes(img_size=(128, 128), max_objects=3, empty_prob=0, crowd_prob=0)
    data = tmp_path / 'data'
    make_synthetic_dataset(str(data), num_train=8, num_val=1, seed=0, img_size=128,
                           img_ext='.png', generator=gen)
    with_mask = kind == 'mask_rcnn'
    keys = ['img', 'gt_bboxes', 'gt_labels'] + (['gt_masks'] if with_mask else [])
    cfg_text = f'''
_base_ = ['{ROOT}/configs/synthetic/{kind}_r18_fpn_synthetic.py']
data_root = '{data}/'
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={with_mask}),
    dict(type='Resize', img_scale=(128, 128), keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys={keys}),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiScaleFlipAug', img_scale=(128, 128), flip=False,
         transforms=[dict(type='Resize', keep_ratio=True), dict(type='RandomFlip'),
                     dict(type='Normalize', **img_norm_cfg), dict(type='Pad', size_divisor=32),
                     dict(type='ImageToTensor', keys=['img']), dict(type='Collect', keys=['img'])])
]
ann = data_root + 'annotations/instances_train2017.json'
split = dict(ann_file=ann, img_prefix=data_root + 'train2017/')
data = dict(samples_per_gpu=8, workers_per_gpu=0,
            train=dict(pipeline=train_pipeline, **split),
            val=dict(pipeline=test_pipeline, **split),
            test=dict(pipeline=test_pipeline, **split))
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.0)
lr_config = dict(_delete_=True, policy='step', warmup='linear', warmup_iters=20,
                 warmup_ratio=0.1, step=[{int(epochs * 0.8)}])
runner = dict(type='EpochBasedRunner', max_epochs={epochs})
checkpoint_config = dict(interval={epochs})
log_config = dict(interval=1)
evaluation = dict(interval=100000)
'''
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(cfg_text)
    env = dict(os.environ, PYTHONPATH=ROOT)
    work = tmp_path / 'work'
    run = subprocess.run([sys.executable, osp.join(ROOT, 'tools/train.py'), str(cfg_file),
                          '--work-dir', str(work), '--seed', '0', '--no-validate'],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    run = subprocess.run([sys.executable, osp.join(ROOT, 'tools/test.py'), str(cfg_file),
                          str(work / f'epoch_{epochs}.pth'), '--eval', *metrics],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    scores = []
    for metric in metrics:
        # tools/test.py prints the metrics dict: ('bbox_mAP_50', 1.0)
        found = re.search(rf"{metric}_mAP_50'?[,:] *([0-9.]+)", run.stdout + run.stderr)
        assert found, (run.stdout + run.stderr)[-3000:]
        scores.append(float(found.group(1)))
    return scores[0], scores[1:]
