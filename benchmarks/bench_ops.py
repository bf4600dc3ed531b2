"""Speed of detkit's compiled ops against torchvision's, in one process.

    python benchmarks/bench_ops.py [--quick]

Each case runs once to warm up, then ``repeats`` times (3 to 7); the median
wall time is printed for detkit and torchvision with their ratio (< 1: detkit
faster).
Results and the machine they came from are recorded in docs/benchmarks.md.

Inputs:
- NMS boxes are clustered like detector outputs: n/10 objects with centres
  uniform in a 1333x800 image and sizes log-uniform in [20, 245] px; each box
  is a copy of a random object with its centre moved by N(0, 0.1 * size) and
  w, h scaled by exp(N(0, 0.1)); score = object quality U(0, 1) * U(0, 1).
  IoU threshold 0.5. batched_nms spreads the boxes uniformly over 80 classes.
- RoIAlign: feature map (2, 256, 200, 304) (stride 4 of a 800x1216 image),
  rois with centres uniform in the image and sides log-uniform in [16, 512] px,
  output 7x7, spatial_scale 1/4, sampling_ratio 0, aligned=True (the Faster
  R-CNN FPN settings); backward with a random gradient.
- bbox_overlaps: 1000 x 10000 random boxes, IoU (torchvision.ops.box_iou).
- Focal loss: (100000, 80) logits N(0, 1), labels uniform in [0, 80] (80 =
  background); torchvision gets the one-hot targets precomputed, reduction
  sum / n as mmcv's 'mean'; forward + backward.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import time
from typing import Callable

import torch
import torch.nn.functional as F
import torchvision

import detkit.ops as ops


def machine() -> str:
    model = platform.processor() or 'unknown CPU'
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True, check=True).stdout
        model = next(
            line.split(':', 1)[1].strip()
            for line in out.splitlines()
            if line.startswith('Model name')
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    return (
        f'{model}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, '
        f'torchvision {torchvision.__version__}'
    )


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median of ``repeats`` timed runs after a warm-up run; a warm-up slower
    than 1 s counts as one of the runs (first-call overhead is negligible there)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    times = [first] if first > 1.0 else []
    while len(times) < repeats:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def clustered_boxes(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    k = max(1, n // 10)
    size = torch.exp(torch.empty(k, 2).uniform_(3.0, 5.5, generator=g))
    centre = torch.rand(k, 2, generator=g) * torch.tensor([1333.0, 800.0])
    quality = torch.rand(k, generator=g)
    c = torch.randint(0, k, (n,), generator=g)
    wh = size[c] * torch.exp(torch.randn(n, 2, generator=g) * 0.1)
    xy = centre[c] + torch.randn(n, 2, generator=g) * size[c] * 0.1
    return torch.cat([xy - wh / 2, xy + wh / 2], 1), quality[c] * torch.rand(n, generator=g)


def proposals(n: int, g: torch.Generator, batch: int = 2) -> torch.Tensor:
    centre = torch.rand(n, 2, generator=g) * torch.tensor([1216.0, 800.0])
    size = torch.exp(torch.empty(n, 2).uniform_(2.77, 6.24, generator=g))  # 16..512 px
    idx = torch.randint(0, batch, (n, 1), generator=g).float()
    return torch.cat([idx, centre - size / 2, centre + size / 2], 1)


def cases(quick: bool):
    g = torch.Generator().manual_seed(0)
    nms_sizes = [1000, 10000] if quick else [1000, 10000, 100000]
    for n in nms_sizes:
        b, s = clustered_boxes(n, g)
        reps = 3 if n >= 100000 else 7
        yield (
            f'nms {n} boxes',
            lambda b=b, s=s: ops.nms(b, s, 0.5),
            lambda b=b, s=s: torchvision.ops.nms(b, s, 0.5),
            reps,
        )
    for n in [10000] if quick else [10000, 100000]:
        b, s = clustered_boxes(n, g)
        idxs = torch.randint(0, 80, (n,), generator=g)
        yield (
            f'batched_nms {n} boxes, 80 classes',
            lambda b=b, s=s, i=idxs: ops.batched_nms(b, s, i, dict(iou_threshold=0.5)),
            lambda b=b, s=s, i=idxs: torchvision.ops.batched_nms(b, s, i, 0.5),
            3 if n >= 100000 else 7,
        )
    feat = torch.randn(2, 256, 200, 304, generator=g)
    for n in [512, 2048]:
        rois = proposals(n, g)
        yield (
            f'roi_align forward {n} rois',
            lambda r=rois: ops.roi_align(feat, r, 7, 0.25, 0, 'avg', True),
            lambda r=rois: torchvision.ops.roi_align(feat, r, 7, 0.25, 0, True),
            5,
        )
        x = feat.clone().requires_grad_()
        grad = torch.randn(n, 256, 7, 7, generator=g)

        def detkit_fb(r=rois, x=x, grad=grad):
            x.grad = None
            ops.roi_align(x, r, 7, 0.25, 0, 'avg', True).backward(grad)

        def tv_fb(r=rois, x=x, grad=grad):
            x.grad = None
            torchvision.ops.roi_align(x, r, 7, 0.25, 0, True).backward(grad)

        yield f'roi_align forward+backward {n} rois', detkit_fb, tv_fb, 3
    b1 = torch.cat(
        [torch.rand(1000, 2, generator=g) * 800, torch.rand(1000, 2, generator=g) * 200], 1
    )
    b1[:, 2:] += b1[:, :2]
    b2 = torch.cat(
        [torch.rand(10000, 2, generator=g) * 800, torch.rand(10000, 2, generator=g) * 200], 1
    )
    b2[:, 2:] += b2[:, :2]
    yield (
        'bbox_overlaps 1000x10000',
        lambda: ops.bbox_overlaps(b1, b2),
        lambda: torchvision.ops.box_iou(b1, b2),
        7,
    )
    logits = torch.randn(100000, 80, generator=g).requires_grad_()
    labels = torch.randint(0, 81, (100000,), generator=g)
    onehot = F.one_hot(labels, 81)[:, :80].float()

    def detkit_focal():
        logits.grad = None
        ops.sigmoid_focal_loss(logits, labels, 2.0, 0.25).backward()

    def tv_focal():
        logits.grad = None
        (
            torchvision.ops.sigmoid_focal_loss(logits, onehot, 0.25, 2.0, 'sum') / logits.size(0)
        ).backward()

    yield 'sigmoid_focal_loss fwd+bwd (100000, 80)', detkit_focal, tv_focal, 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='skip the 100k-box cases')
    args = parser.parse_args()
    print(f'machine: {machine()}')
    print('| case | detkit (ms) | torchvision (ms) | ratio |')
    print('|---|---:|---:|---:|')
    for name, ours, theirs, repeats in cases(args.quick):
        t_ours = median_time(ours, repeats)
        t_theirs = median_time(theirs, repeats)
        print(
            f'| {name} | {t_ours * 1e3:.2f} | {t_theirs * 1e3:.2f} | {t_ours / t_theirs:.2f} |',
            flush=True,
        )


if __name__ == '__main__':
    main()
