"""SSD (SingleStageDetector + SSDHead): configs build, training and test entry points,
flip test-time augmentation."""
import pathlib

import numpy as np
import pytest
import torch
from _dense_checks import batch_of_two as _shared_batch_of_two  # beside this file

from detkit.config import Config
from detkit.models import build_detector
from detkit.structures import bbox_flip

ROOT = pathlib.Path(__file__).resolve().parents[3]


def small_ssd():
    """A narrow ResNet-18 + SSDNeck + SSDHead on 4 levels (strides 16 to 128)."""
    cfg = dict(
        type='SingleStageDetector',
        backbone=dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                      out_indices=(2, 3), frozen_stages=-1, norm_eval=False,
                      norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
        neck=dict(type='SSDNeck', in_channels=(64, 128), out_channels=(64, 128, 64, 32),
                  level_strides=(2, 2), level_paddings=(1, 1), l2_norm_scale=20),
        bbox_head=dict(
            type='SSDHead', num_classes=3, in_channels=(64, 128, 64, 32),
            anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False,
                                  input_size=128, strides=[16, 32, 64, 128],
                                  ratios=[[2], [2, 3], [2, 3], [2]],
                                  min_sizes=[13, 32, 64, 96], max_sizes=[32, 64, 96, 128]),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                            target_stds=[0.1, 0.1, 0.2, 0.2])),
        train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                     min_pos_iou=0., ignore_iof_thr=-1,
                                     gt_max_assign_all=False),
                       smoothl1_beta=1., allowed_border=-1, pos_weight=-1, neg_pos_ratio=3,
                       debug=False),
        test_cfg=dict(nms_pre=1000, nms=dict(type='nms', iou_threshold=0.45), min_bbox_size=0,
                      score_thr=0.02, max_per_img=200))
    model = build_detector(cfg)
    model.init_weights()
    return model


def batch_of_two():
    """The shared batch with a small box SSD/YOLO priors can match."""
    return _shared_batch_of_two((4., 6., 40., 50.))


def _compose_all_pipelines(cfg):
    """Every pipeline of the config builds (type names and arguments are known)."""
    from detkit.datasets.pipelines import Compose
    train = cfg.data.train
    while 'pipeline' not in train:
        train = train.dataset
    pipelines = [train.pipeline, cfg.data.val.pipeline, cfg.data.test.pipeline]
    if 'dataset' in train:  # MultiImageMixDataset: the loading pipeline of the inner set
        pipelines.append(train.dataset.pipeline)
    for pipeline in pipelines:
        assert len(Compose(pipeline).transforms) == len(pipeline)


def test_ssd300_configs_build_without_pretrained_weights():
    cfg = Config.fromfile(str(ROOT / 'configs/ssd/ssd300_coco.py'))
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    assert cfg.data.train.type == 'RepeatDataset' and cfg.data.train.times == 5
    model = build_detector(cfg.model)  # no init_weights: the checkpoint is not needed
    keys = list(model.state_dict())
    assert 'bbox_head.cls_convs.5.0.weight' in keys and 'neck.l2_norm.weight' in keys
    assert model.bbox_head.num_base_priors == [4, 6, 6, 6, 4, 4]
    voc = Config.fromfile(str(ROOT / 'configs/_base_/datasets/voc0712.py'))
    assert voc.data.train.dataset.type == 'VOCDataset' and voc.evaluation.metric == 'mAP'
    for c in (cfg, voc, Config.fromfile(str(ROOT / 'configs/synthetic/ssd_r18_160_synthetic.py'))):
        _compose_all_pipelines(c)


def test_train_backward_and_test_outputs():
    torch.manual_seed(0)
    model = small_ssd()
    model.train()
    img, metas, gt_bboxes, gt_labels = batch_of_two()
    losses = model.forward(img, metas, gt_bboxes=gt_bboxes, gt_labels=gt_labels)
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    assert all(torch.isfinite(v).all() for vs in losses.values() for v in vs)
    assert losses['loss_cls'][1].item() == 0  # no gt, so no mined negative either
    loss, log_vars = model._parse_losses(losses)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.bbox_head.cls_convs[0][0].weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        results = model.forward([img], [metas], return_loss=False, rescale=True)
    assert len(results) == 2
    for res, meta in zip(results, metas):
        assert len(res) == 3
        h, w = meta['ori_shape'][:2]
        for dets in res:
            assert dets.dtype == np.float32 and dets.ndim == 2 and dets.shape[1] == 5
            # boxes are clipped to img_shape, then divided by scale_factor
            assert (dets[:, :4] >= -1e-4).all() and (dets[:, [0, 2]] <= w + 1e-3).all()
            assert (dets[:, [1, 3]] <= h + 1e-3).all()
        assert sum(len(d) for d in res) > 0


def test_flip_aug_test():
    torch.manual_seed(0)
    model = small_ssd().eval()
    img = torch.randn(1, 3, 96, 128)
    flipped = img.flip(-1)
    meta = dict(img_shape=(96, 128, 3), ori_shape=(96, 128, 3), pad_shape=(96, 128, 3),
                scale_factor=np.ones(4, dtype=np.float32), flip=False, flip_direction=None)
    meta_f = dict(meta, flip=True, flip_direction='horizontal')
    with torch.no_grad():
        simple = model.simple_test(flipped, [dict(meta)], rescale=True)[0]
        # twice the same flipped view: NMS removes the duplicates, the boxes are
        # mapped back by a horizontal flip
        twice = model.forward([flipped, flipped], [[dict(meta_f)], [dict(meta_f)]],
                              return_loss=False, rescale=True)[0]
        both = model.aug_test([img, flipped], [[dict(meta)], [dict(meta_f)]], rescale=True)[0]
    for c in range(3):
        ref = simple[c].copy()
        ref[:, :4] = bbox_flip(ref[:, :4], (96, 128), 'horizontal')
        order = np.lexsort((ref[:, 0], -ref[:, 4]))
        got = twice[c][np.lexsort((twice[c][:, 0], -twice[c][:, 4]))]
        assert np.allclose(got, ref[order], atol=1e-4)
    assert sum(len(d) for d in both) > 0
    assert all((d[:, [0, 2]] <= 128 + 1e-3).all() for d in both)


def _overfit(cfg_path, tmp_dir, iters, eval_every=None):
    """Train the config's model on 8 synthetic images (one fixed, unflipped batch) with
    the config's optimizer; return the losses and the mAP@0.5 on the same images."""
    import copy
    import time

    from detkit.datasets import build_dataset
    from detkit.datasets.collate import collate
    from detkit.datasets.synthetic import make_synthetic_dataset
    from detkit.engine import build_optimizer
    from detkit.evaluation import eval_map

    torch.manual_seed(0)
    make_synthetic_dataset(str(tmp_dir), num_train=8, num_val=1, seed=0, img_size=160)
    cfg = Config.fromfile(str(cfg_path))
    train = copy.deepcopy(cfg.data.train)
    train.ann_file = f'{tmp_dir}/annotations/instances_train2017.json'
    train.img_prefix = f'{tmp_dir}/train2017/'
    # memorising needs the same views at train and test time: no random flip
    for t in train.pipeline:
        if t['type'] == 'RandomFlip':
            t['flip_ratio'] = 0.
    test = copy.deepcopy(cfg.data.test)
    test.update(ann_file=train.ann_file, img_prefix=train.img_prefix, test_mode=True)
    train_set, test_set = build_dataset(train), build_dataset(test)
    batch = collate([train_set[i] for i in range(len(train_set))],
                    samples_per_gpu=len(train_set))
    test_batches = [collate([test_set[i]], samples_per_gpu=1) for i in range(len(test_set))]
    annotations = [test_set.get_ann_info(i) for i in range(len(test_set))]

    model = build_detector(cfg.model)
    model.init_weights()
    optimizer = build_optimizer(model, cfg.optimizer)

    def evaluate():
        model.eval()
        with torch.no_grad():
            dets = [model(img=b['img'], img_metas=b['img_metas'], return_loss=False,
                          rescale=True)[0] for b in test_batches]
        model.train()
        return eval_map(dets, annotations, iou_thr=0.5, logger='silent', nproc=1)[0]

    model.train()
    losses, maps = [], {}
    start = time.process_time()
    for it in range(iters):
        out = model.train_step(batch, optimizer)
        optimizer.zero_grad()
        out['loss'].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 35)
        optimizer.step()
        losses.append(out['loss'].item())
        if eval_every and (it + 1) % eval_every == 0:
            maps[it + 1] = evaluate()
            print(it + 1, losses[-1], maps[it + 1], time.process_time() - start, flush=True)
    return losses, evaluate(), maps


@pytest.mark.slow
def test_synthetic_ssd_overfits_eight_images(tmp_path):
    losses, mean_ap, _ = _overfit(ROOT / 'configs/synthetic/ssd_r18_160_synthetic.py',
                                  tmp_path, iters=50)
    assert losses[0] / np.mean(losses[-5:]) >= 5
    assert mean_ap >= 0.9


if __name__ == '__main__':  # measure: python tests/.../test_ssd.py ITERS
    import sys
    import tempfile
    _losses, _map, _ = _overfit(ROOT / 'configs/synthetic/ssd_r18_160_synthetic.py',
                                tempfile.mkdtemp(), int(sys.argv[1]), eval_every=20)
    print('loss ratio', _losses[0] / np.mean(_losses[-5:]), 'mAP', _map)
