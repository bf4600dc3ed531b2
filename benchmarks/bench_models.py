"""Speed of detkit's R50-FPN detectors against torchvision's, in one process.

    python benchmarks/bench_models.py [--models retinanet fcos faster_rcnn mask_rcnn]
                                      [--repeats N] [--quick] [--fuse-conv-bn]

For each model, both libraries build the same architecture with random weights
(seeded) and are timed on the same inputs; each case runs once to warm up, then
``repeats`` times alternating with its peer (so load changes hit both), and the
median wall time is printed with the ratio
detkit / torchvision (< 1: detkit faster). ``torch.set_num_threads(2)`` (``--threads``).

Models (80 COCO classes on both sides: torchvision's ``num_classes`` is 80 for
RetinaNet/FCOS and 81 = 80 + background for Faster/Mask R-CNN):
- detkit: the COCO configs ``configs/{retinanet,fcos,faster_rcnn,mask_rcnn}/...``
  with two changes to match torchvision's architecture: RetinaNet's FPN builds
  P6 from P5's output with a ReLU before P7 (``add_extra_convs='on_output'``,
  ``relu_before_extra_convs=True``, as torchvision), and FCOS's backbone is
  ``style='pytorch'`` (torchvision has no caffe-style ResNet).
- torchvision: ``retinanet_resnet50_fpn``, ``fcos_resnet50_fpn``,
  ``fasterrcnn_resnet50_fpn``, ``maskrcnn_resnet50_fpn`` with ``weights=None,
  weights_backbone=None``. Without backbone weights torchvision would switch to
  plain BatchNorm and train all five stages; to match the configs (and
  torchvision's own pretrained setting) its backbone BNs are replaced by
  ``FrozenBatchNorm2d`` and the stem and first stage are frozen (our
  ``frozen_stages=1``, ``norm_eval=True``). RetinaNet ``detections_per_img=100``
  and FCOS ``score_thresh=0.05, nms_thresh=0.5`` match the configs' test_cfg.
- Random-init classifiers score far below the 0.05 threshold, which would leave
  post-processing with nothing to do. So on both sides: dense heads get
  classification (and FCOS centerness) bias 0 (scores about 0.5: every level
  fills its 1000 pre-NMS candidates); the R-CNN box classifier gets weights
  N(0, 0.01), bias 0 and +3 for the first 10 foreground classes (scores about
  0.1 for those classes on every RoI: 10000 candidates for the final NMS,
  100 detections, and 100 masks for Mask R-CNN). The RPN objectness conv gets
  N(0, 1) weights: with the init's N(0, 0.01) most of a level's scores round to
  the same float near 0.5, and how each library breaks those ties decides how
  many proposals survive NMS (torchvision kept 424 of 1000, detkit 1000), so
  the two sides would not do the same work; with distinct scores both keep the
  full 1000 proposals, as a trained model does.

Inference (bs 1, ``torch.inference_mode()``, eval mode) from an 800x1333 image:
- detkit: ``simple_test(img, img_metas, rescale=True)`` on the normalised image
  padded to 800x1344 (normalisation and padding belong to the data pipeline);
  includes everything up to the per-class numpy arrays (and encoded-free
  per-class mask lists) of the result format.
- torchvision: ``model([img])`` on the unnormalised 3x800x1333 image, with
  ``min_size=800, max_size=1333`` so its ``GeneralizedRCNNTransform`` does not
  resize (it still normalises, calls interpolate with scale 1, pads to 32 and
  maps boxes back, all timed), up to its list of dicts of tensors.
Training step (bs 2, 512x512, train mode): forward + losses + backward + SGD
step (SGD, momentum 0.9, weight decay 1e-4, lr 0) on 5 random boxes per image
(box-shaped masks for Mask R-CNN); torchvision's transform again does not
resize (``min_size=max_size=512``).

``--fuse-conv-bn`` folds the (frozen) BatchNorms into the preceding convs of
detkit's model for inference, as ``tools/test.py --fuse-conv-bn`` does.
"""

from __future__ import annotations

import argparse
import copy
import os.path as osp
import statistics
import sys
import time
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.detection import (
    fasterrcnn_resnet50_fpn,
    fcos_resnet50_fpn,
    maskrcnn_resnet50_fpn,
    retinanet_resnet50_fpn,
)
from torchvision.ops import FrozenBatchNorm2d

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from bench_ops import machine  # noqa: E402

from detkit.config import Config  # noqa: E402
from detkit.models import build_detector  # noqa: E402
from detkit.models.layers import fuse_conv_bn  # noqa: E402
from detkit.structures import BitmapMasks  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(
    retinanet='configs/retinanet/retinanet_r50_fpn_1x_coco.py',
    fcos='configs/fcos/fcos_r50_caffe_fpn_gn-head_1x_coco.py',
    faster_rcnn='configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py',
    mask_rcnn='configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py',
)
TWO_STAGE = ('faster_rcnn', 'mask_rcnn')
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def paired_medians(ours: Callable, theirs: Callable, repeats: int,
                   clock: Callable[[], float] = time.perf_counter) -> tuple[float, float]:
    """Median times of ``repeats`` runs of each after one warm-up run of each.

    The runs alternate (ours, theirs, theirs, ours, ...) so that a load change on
    the shared machine hits both sides alike. ``clock`` is wall time by default;
    ``time.process_time`` (CPU seconds of this process, all threads) is steadier
    when other jobs take the cores.
    """
    ours()
    theirs()
    times: tuple[list, list] = ([], [])
    for i in range(repeats):
        order = ((0, ours), (1, theirs)) if i % 2 == 0 else ((1, theirs), (0, ours))
        for side, fn in order:
            start = clock()
            fn()
            times[side].append(clock() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def build_detkit(name: str) -> nn.Module:
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[name])).model
    cfg.backbone.init_cfg = None  # random init: nothing is downloaded
    if name == 'retinanet':
        cfg.neck.add_extra_convs = 'on_output'
        cfg.neck.relu_before_extra_convs = True
    if name == 'fcos':
        cfg.backbone.style = 'pytorch'
    model = build_detector(cfg)
    model.init_weights()
    with torch.no_grad():
        if name == 'retinanet':
            model.bbox_head.retina_cls.bias.zero_()
        elif name == 'fcos':
            model.bbox_head.conv_cls.bias.zero_()
            model.bbox_head.conv_centerness.bias.zero_()
        else:
            model.rpn_head.rpn_cls.bias.zero_()
            model.rpn_head.rpn_cls.weight.normal_(0, 1)  # distinct objectness scores
            fc_cls = model.roi_head.bbox_head.fc_cls
            fc_cls.weight.normal_(0, 0.01)
            fc_cls.bias.zero_()
            fc_cls.bias[:10] = 3.0  # foreground 0..9; background is the last index
    return model


def _freeze_torchvision_backbone(model: nn.Module) -> None:
    """FrozenBatchNorm2d everywhere in the ResNet and the stem + layer1 frozen."""

    def swap(module: nn.Module) -> None:
        for child_name, child in module.named_children():
            if isinstance(child, nn.BatchNorm2d):
                frozen = FrozenBatchNorm2d(child.num_features, child.eps)
                frozen.weight.copy_(child.weight.detach())
                frozen.bias.copy_(child.bias.detach())
                frozen.running_mean.copy_(child.running_mean)
                frozen.running_var.copy_(child.running_var)
                module._modules[child_name] = frozen
            else:
                swap(child)

    body = model.backbone.body
    swap(body)
    for name, param in body.named_parameters():
        if not name.startswith(('layer2', 'layer3', 'layer4')):
            param.requires_grad_(False)


def build_torchvision(name: str) -> nn.Module:
    common = dict(weights=None, weights_backbone=None, min_size=800, max_size=1333)
    if name == 'retinanet':
        model = retinanet_resnet50_fpn(num_classes=80, detections_per_img=100, **common)
    elif name == 'fcos':
        model = fcos_resnet50_fpn(num_classes=80, score_thresh=0.05, nms_thresh=0.5, **common)
    elif name == 'faster_rcnn':
        model = fasterrcnn_resnet50_fpn(num_classes=81, **common)
    else:
        model = maskrcnn_resnet50_fpn(num_classes=81, **common)
    _freeze_torchvision_backbone(model)
    with torch.no_grad():
        if name in ('retinanet', 'fcos'):
            model.head.classification_head.cls_logits.bias.zero_()
        if name == 'fcos':
            model.head.regression_head.bbox_ctrness.bias.zero_()
        if name in TWO_STAGE:
            model.rpn.head.cls_logits.bias.zero_()
            model.rpn.head.cls_logits.weight.normal_(0, 1)  # distinct objectness scores
            cls_score = model.roi_heads.box_predictor.cls_score
            cls_score.weight.normal_(0, 0.01)
            cls_score.bias.zero_()
            cls_score.bias[1:11] = 3.0  # foreground 1..10; background is index 0
    return model


def _metas(h: int, w: int, pad_h: int, pad_w: int, n: int) -> list[dict]:
    meta = dict(img_shape=(h, w, 3), ori_shape=(h, w, 3), pad_shape=(pad_h, pad_w, 3),
                batch_input_shape=(pad_h, pad_w), scale_factor=np.ones(4, np.float32),
                flip=False, flip_direction=None)
    return [dict(meta) for _ in range(n)]


def _normalise_and_pad(imgs: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [0, 1] -> normalised, zero-padded to multiples of 32."""
    h, w = imgs.shape[-2:]
    pad_h, pad_w = -(-h // 32) * 32, -(-w // 32) * 32
    out = imgs.new_zeros(imgs.size(0), 3, pad_h, pad_w)
    out[:, :, :h, :w] = (imgs * 255 - MEAN) / STD
    return out


def inference_cases(name: str, ours: nn.Module, theirs: nn.Module, h: int, w: int,
                    g: torch.Generator) -> tuple[Callable, Callable]:
    img = torch.rand(1, 3, h, w, generator=g)
    ours_img = _normalise_and_pad(img)
    metas = _metas(h, w, *ours_img.shape[-2:], 1)
    theirs.transform.min_size = (min(h, w),)
    theirs.transform.max_size = max(h, w)

    def run_ours():
        with torch.inference_mode():
            return ours.simple_test(ours_img, metas, rescale=True)

    def run_theirs():
        with torch.inference_mode():
            return theirs([img[0]])

    return run_ours, run_theirs


def _random_targets(name: str, n_img: int, size: int, g: torch.Generator):
    boxes, labels, masks = [], [], []
    for _ in range(n_img):
        wh = torch.exp(torch.empty(5, 2).uniform_(np.log(32), np.log(size / 2), generator=g))
        xy = torch.rand(5, 2, generator=g) * (size - wh)
        b = torch.cat([xy, xy + wh], 1)
        boxes.append(b)
        labels.append(torch.randint(0, 80, (5,), generator=g))
        m = np.zeros((5, size, size), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(b.round().long().tolist()):
            m[i, y1:y2, x1:x2] = 1
        masks.append(m)
    return boxes, labels, masks


def training_cases(name: str, ours: nn.Module, theirs: nn.Module, size: int,
                   g: torch.Generator) -> tuple[Callable, Callable]:
    imgs = torch.rand(2, 3, size, size, generator=g)
    boxes, labels, masks = _random_targets(name, 2, size, g)
    data = dict(img=_normalise_and_pad(imgs), img_metas=_metas(size, size, size, size, 2),
                gt_bboxes=boxes, gt_labels=labels)
    if name == 'mask_rcnn':
        data['gt_masks'] = [BitmapMasks(m, size, size) for m in masks]
    targets = []
    for b, lab, m in zip(boxes, labels, masks):
        t = dict(boxes=b, labels=lab + 1 if name in TWO_STAGE else lab)
        if name == 'mask_rcnn':
            t['masks'] = torch.from_numpy(m)
        targets.append(t)
    theirs.transform.min_size = (size,)
    theirs.transform.max_size = size

    def sgd(model):
        params = [p for p in model.parameters() if p.requires_grad]
        # lr 0: the step does all its arithmetic but the weights stay put, so every timed
        # step does the same work; with lr 1e-3 one side's random RPN collapsed after a
        # step to ~5 proposals per image (10 RoIs instead of 1024 in the box head)
        return torch.optim.SGD(params, lr=0.0, momentum=0.9, weight_decay=1e-4)

    opt_ours, opt_theirs = sgd(ours), sgd(theirs)

    def run_ours():
        opt_ours.zero_grad()
        ours.train_step(data, opt_ours)['loss'].backward()
        opt_ours.step()

    def run_theirs():
        opt_theirs.zero_grad()
        sum(theirs(list(imgs), targets).values()).backward()
        opt_theirs.step()

    return run_ours, run_theirs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--cases', nargs='+', default=['inference', 'training'],
                        choices=['inference', 'training'])
    parser.add_argument('--repeats', type=int, default=5, help='timed runs per case (median)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: 2 repeats, 320x480 inference and 256x256 training '
                             '(or --size/--train-size)')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), default=None,
                        help='inference image size (default 800 1333)')
    parser.add_argument('--train-size', type=int, default=None,
                        help='training image side (default 512)')
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                        help='wall time, or CPU time of the process (steadier under load)')
    parser.add_argument('--threads', type=int, default=2, help='torch.set_num_threads')
    parser.add_argument('--fuse-conv-bn', action='store_true',
                        help="fold detkit's BatchNorms into convs for inference")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    h, w = args.size or ((320, 480) if args.quick else (800, 1333))
    train_size = args.train_size or (256 if args.quick else 512)
    torch.set_num_threads(args.threads)
    clock = time.perf_counter if args.clock == 'wall' else time.process_time
    print(f'machine: {machine()}')
    print(f'inference {h}x{w} bs 1, training step {train_size}x{train_size} bs 2, '
          f'median {args.clock} time of {repeats} runs after a warm-up'
          f'{", detkit convs fused with BN" if args.fuse_conv_bn else ""}')
    print('| model | case | detkit (ms) | torchvision (ms) | ratio |')
    print('|---|---|---:|---:|---:|')
    for name in args.models:
        torch.manual_seed(0)
        ours = build_detkit(name).eval()
        theirs = build_torchvision(name).eval()
        infer = ours
        if args.fuse_conv_bn:
            infer = fuse_conv_bn(copy.deepcopy(ours))
        g = torch.Generator().manual_seed(0)
        if 'inference' in args.cases:
            run_ours, run_theirs = inference_cases(name, infer, theirs, h, w, g)
            t_ours, t_theirs = paired_medians(run_ours, run_theirs, repeats, clock)
            print(f'| {name} | inference ms/img | {t_ours * 1e3:.0f} | {t_theirs * 1e3:.0f} | '
                  f'{t_ours / t_theirs:.2f} |', flush=True)
        if 'training' not in args.cases:
            continue
        ours.train()
        theirs.train()
        run_ours, run_theirs = training_cases(name, ours, theirs, train_size, g)
        t_ours, t_theirs = paired_medians(run_ours, run_theirs, repeats, clock)
        print(f'| {name} | training step bs 2 | {t_ours * 1e3:.0f} | {t_theirs * 1e3:.0f} | '
              f'{t_ours / t_theirs:.2f} |', flush=True)


if __name__ == '__main__':
    main()
