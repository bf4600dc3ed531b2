"""Dataloader throughput and worker memory on synthetic COCO data.

    PYTHONPATH=. python benchmarks/bench_dataloader.py [--num-images 200] [--records 10000]

1. images/s of the standard Faster R-CNN COCO train pipeline (LoadImageFromFile,
   LoadAnnotations(with_bbox), Resize((1333, 800), keep_ratio), RandomFlip(0.5),
   Normalize, Pad(32), DefaultFormatBundle, Collect) with 0 and 2 workers,
   batch 2, on 320 px synthetic shape scenes (upscaled to 800 px by Resize).
2. memory of 2 forked workers while they read 10k records (a COCO file whose
   10k image entries reuse the generated images), sampled every 2500 records:
   RSS, and USS (private pages: what copy-on-read adds), for detkit's serialised
   record list and, for comparison, the same dataset keeping a plain Python list.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from detkit.datasets import (  # noqa: E402
    SHAPE_CLASSES,
    CocoDataset,
    RepeatDataset,
    build_dataloader,
    make_synthetic_dataset,
)

IMG_NORM = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', img_scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Normalize', **IMG_NORM),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels']),
]


class _PlainListCocoDataset(CocoDataset):
    """The same dataset with its records in a plain Python list (the baseline)."""

    @property
    def data_infos(self):
        return self._data_infos

    @data_infos.setter
    def data_infos(self, infos):
        self._data_infos = list(infos)
        self._sizes = np.array([[r['width'], r['height']] for r in self._data_infos],
                               dtype=np.int64).reshape(-1, 2)

    def _select(self, keep):
        keep = np.asarray(keep, dtype=np.int64)
        self._data_infos = [self._data_infos[i] for i in keep]
        self._sizes = self._sizes[keep]
        self.img_ids = [self.img_ids[i] for i in keep]


def _mem_kb(pid: int) -> tuple[int, int]:
    """(RSS, USS) in kB from /proc: USS = private clean + private dirty."""
    rss = uss = 0
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            key, _, rest = line.partition(':')
            if key == 'Rss':
                rss = int(rest.split()[0])
            elif key in ('Private_Clean', 'Private_Dirty'):
                uss += int(rest.split()[0])
    return rss, uss


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of live processes, from /proc (children not yet reaped)."""
    tick = os.sysconf('SC_CLK_TCK')
    total = 0
    for pid in pids:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def throughput(root: str, workers: int, num_images: int) -> tuple[float, float]:
    """(images/s, CPU seconds per image summed over the main process and its workers)."""
    ds = CocoDataset(ann_file=osp.join(root, 'annotations', 'instances_train2017.json'),
                     img_prefix=osp.join(root, 'train2017'), classes=SHAPE_CLASSES,
                     pipeline=TRAIN_PIPELINE)
    # long enough for one pass: no worker restart inside the timed part
    ds = RepeatDataset(ds, times=num_images // len(ds) + 2)
    dl = build_dataloader(ds, samples_per_gpu=2, workers_per_gpu=workers, dist=False, seed=0)
    it = iter(dl)
    next(it)  # start-up (worker fork, first batch) is not throughput
    pids = [os.getpid()] + [w.pid for w in getattr(it, '_workers', [])]
    n, t0, c0 = 0, time.perf_counter(), _cpu_seconds(pids)
    while n < num_images:
        n += next(it)['img'].shape[0]
    dt, cpu = time.perf_counter() - t0, _cpu_seconds(pids) - c0
    return n / dt, cpu / n


def _big_annotation(root: str, records: int) -> str:
    """A COCO file with ``records`` image entries cycling over the generated images."""
    with open(osp.join(root, 'annotations', 'instances_train2017.json')) as f:
        coco = json.load(f)
    by_img: dict = {}
    for a in coco['annotations']:
        by_img.setdefault(a['image_id'], []).append(a)
    images, anns = [], []
    src = coco['images']
    for i in range(records):
        im = dict(src[i % len(src)], id=i + 1)
        images.append(im)
        for a in by_img.get(src[i % len(src)]['id'], []):
            anns.append(dict(a, id=len(anns) + 1, image_id=i + 1))
    path = osp.join(root, 'annotations', f'instances_big{records}.json')
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=coco['categories']), f)
    return path


def worker_memory(root: str, ann_file: str, records: int, cls) -> list[tuple]:
    """[(records read, [(rss, uss) per worker])] every quarter of the records."""
    ds = cls(ann_file=ann_file, img_prefix=osp.join(root, 'train2017'), classes=SHAPE_CLASSES,
             pipeline=[], test_mode=True)
    dl = build_dataloader(ds, samples_per_gpu=8, workers_per_gpu=2, dist=False, shuffle=False,
                          seed=0)
    it = iter(dl)
    pids = [w.pid for w in it._workers]
    samples = []
    n = 0
    step = records // 4
    for batch in it:
        n += len(batch['img_info'])
        if n % step < 8 or n >= len(ds):
            samples.append((n, [_mem_kb(p) for p in pids]))
            if n >= len(ds):
                break
    del it
    return samples


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num-images', type=int, default=200, help='images timed per setting')
    p.add_argument('--records', type=int, default=10000, help='records for the memory test')
    p.add_argument('--repeats', type=int, default=3,
                   help='alternating timed runs per setting (the median is reported)')
    args = p.parse_args()
    torch.set_num_threads(1)
    # as MMDetection's setup_multi_processes: no OpenCV thread pool, which would
    # oversubscribe the cores (and is unsafe to use across fork)
    cv2.setNumThreads(0)
    print(f'machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}, python {platform.python_version()}, '
          f'torch {torch.__version__}')
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        make_synthetic_dataset(root, num_train=100, num_val=0, seed=0, img_size=320)
        print(f'generated 100 synthetic 320 px images in {time.perf_counter() - t0:.1f} s')
        print('\nFaster R-CNN COCO train pipeline, batch 2 (images/s):')
        runs: dict = {0: [], 2: []}
        cpus: dict = {0: [], 2: []}
        for _ in range(args.repeats):  # alternate, so that load changes hit both alike
            for workers in runs:
                rate, cpu = throughput(root, workers, args.num_images)
                runs[workers].append(rate)
                cpus[workers].append(cpu)
        rates = {w: float(np.median(r)) for w, r in runs.items()}
        for workers, r in runs.items():
            print(f'  workers={workers}: {rates[workers]:7.1f} images/s (median; runs: '
                  f'{", ".join(f"{x:.1f}" for x in r)}), '
                  f'{1000 * float(np.median(cpus[workers])):.0f} CPU ms per image')
        print(f'  ratio 2 workers / 0 workers: {rates[2] / rates[0]:.2f}')

        ann = _big_annotation(root, args.records)
        print(f'\nworker memory while reading {args.records} records (2 workers, kB):')
        for name, cls in (('detkit (serialised records)', CocoDataset),
                          ('plain Python list (baseline)', _PlainListCocoDataset)):
            samples = worker_memory(root, ann, args.records, cls)
            print(f'  {name}:')
            for n, mems in samples:
                cells = ', '.join(f'RSS {r:7d} USS {u:7d}' for r, u in mems)
                print(f'    after {n:6d} records: {cells}')
            first = sum(u for _, u in samples[0][1])
            last = sum(u for _, u in samples[-1][1])
            growth = (last - first) / 1024
            print(f'    USS growth from the first sample to the end: {growth:.1f} MB')


if __name__ == '__main__':
    main()
