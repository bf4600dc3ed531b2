"""detkit in one command: make a synthetic COCO set, train a small detector on the CPU,
evaluate it with pycocotools, and draw the results.

    bash tools/dev_setup.sh && .venv/bin/python demo/quickstart.py

Writes to ``work_dirs/quickstart/``: the training log (``<timestamp>.log`` and
``.log.json``), checkpoints, ``curves.png`` (training loss and validation
mAP) and ``vis/*.jpg`` (validation images with the predicted boxes). The
data goes to ``data/synthetic_quickstart/`` (made once, reused by later runs with the
same --num-train/--num-val/--img-size/--seed). The defaults reached bbox mAP@0.5 0.66
on the held-out images in 10.1 min on 2 idle cores; docs/demo.md has the measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)  # run from a checkout

CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'quickstart_fcos_r18.py')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=CONFIG, help='detector config (default: %(default)s)')
    p.add_argument('--work-dir', default='work_dirs/quickstart')
    p.add_argument('--data-root', default='data/synthetic_quickstart')
    p.add_argument('--num-train', type=int, default=1600, help='synthetic train images')
    p.add_argument('--num-val', type=int, default=48, help='synthetic val images')
    p.add_argument(
        '--img-size',
        type=int,
        default=192,
        help='longer side of the synthetic images (px); the config resizes to 192',
    )
    p.add_argument('--epochs', type=int, default=None, help='default: the config (24)')
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-vis', type=int, default=8, help='val images to draw')
    return p.parse_args(argv)


def make_data(root: str, num_train: int, num_val: int, img_size: int, seed: int) -> None:
    """Make the synthetic set in ``root``, or reuse it if it was made with the same settings."""
    from detkit.datasets.synthetic import make_synthetic_dataset

    settings = dict(num_train=num_train, num_val=num_val, img_size=img_size, seed=seed)
    stamp = osp.join(root, 'quickstart_data.json')
    if osp.isfile(stamp):
        try:
            with open(stamp) as f:
                made = json.load(f)
        except (OSError, ValueError) as e:  # unreadable: treat as made with other settings
            made = f'unreadable {stamp} ({e})'
        if made == settings:
            print(f'[1/4] using the synthetic data in {root}')
            return
        print(f'[1/4] {root} was made with {made}; remaking it with {settings}')
    print(f'[1/4] making {num_train} + {num_val} synthetic images ({img_size} px) in {root}')
    make_synthetic_dataset(root, num_train, num_val, seed=seed, img_size=img_size)
    # written last, atomically: an interrupted run leaves no stamp, never half of one
    _write_json(stamp, settings)


def _write_json(path: str, obj: dict) -> None:
    """``obj`` as JSON at ``path``, written to a temporary file then renamed."""
    from detkit.engine import atomic_write

    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2).encode()))


def schedule_options(cfg, epochs: int) -> dict:
    """``--cfg-options`` that run ``cfg`` for ``epochs`` epochs with the same schedule shape.

    Evaluation every ``epochs // 4`` epochs and a checkpoint every ``epochs // 2`` (at
    least 1); a ``step`` lr policy's steps scale with the run's length (a cosine
    policy follows ``max_epochs`` by itself).
    """
    options = {
        'runner.max_epochs': epochs,
        'evaluation.interval': max(1, epochs // 4),
        'checkpoint_config.interval': max(1, epochs // 2),
    }
    if cfg.lr_config.get('policy') == 'step':
        step = cfg.lr_config.step
        steps = step if isinstance(step, (list, tuple)) else [step]
        scale = epochs / cfg.runner.max_epochs
        options['lr_config.step'] = [max(1, round(s * scale)) for s in steps]
    return options


def plot_curves(log_json: str, iters_per_epoch: int, out_file: str) -> None:
    """Training loss per iteration and validation mAP per epoch, side by side (Agg)."""
    from detkit.visualization.palette import import_pyplot

    plt = import_pyplot()
    iters, losses, epochs, maps, maps50 = [], [], [], [], []
    with open(log_json) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get('mode') == 'train' and 'loss' in rec:
                iters.append((rec['epoch'] - 1) * iters_per_epoch + rec['iter'])
                losses.append(rec['loss'])
            elif rec.get('mode') == 'val' and 'bbox_mAP' in rec:
                epochs.append(rec['epoch'])
                maps.append(rec['bbox_mAP'])
                maps50.append(rec['bbox_mAP_50'])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(iters, losses, '.-')
    ax1.set_xlabel('iteration')
    ax1.set_ylabel('training loss')
    ax1.set_title('loss')
    ax2.plot(epochs, maps, 'o-', label='bbox mAP@[.5:.95]')
    ax2.plot(epochs, maps50, 's-', label='bbox mAP@0.5')
    ax2.set_xlabel('epoch')
    ax2.set_ylim(0, 1)
    ax2.set_title('validation')
    ax2.legend()
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    t_start = time.time()
    import numpy as np
    import torch

    from detkit.apis import set_random_seed, single_gpu_test, train_detector
    from detkit.config import Config
    from detkit.datasets import build_dataloader, build_dataset
    from detkit.models import build_detector
    from detkit.utils.logging import get_root_logger

    make_data(args.data_root, args.num_train, args.num_val, args.img_size, args.seed)
    root = args.data_root.rstrip('/') + '/'
    cfg = Config.fromfile(args.config)
    options = {
        f'data.{s}.{k}': root + v
        for s in ('train', 'val', 'test')
        for k, v in (
            ('ann_file', f'annotations/instances_{"train" if s == "train" else "val"}2017.json'),
            ('img_prefix', f'{"train" if s == "train" else "val"}2017/'),
        )
    }
    cfg.merge_from_dict(options)
    if args.epochs is not None:
        cfg.merge_from_dict(schedule_options(cfg, args.epochs))
    cfg.work_dir = args.work_dir
    cfg.gpu_ids = [0]
    cfg.device = args.device
    cfg.seed = args.seed
    os.makedirs(cfg.work_dir, exist_ok=True)
    cfg.dump(osp.join(cfg.work_dir, osp.basename(args.config)))
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    logger = get_root_logger(log_file=osp.join(cfg.work_dir, f'{timestamp}.log'))
    set_random_seed(args.seed)

    model = build_detector(cfg.model)
    model.init_weights()
    dataset = build_dataset(cfg.data.train)
    model.CLASSES = dataset.CLASSES
    # GroupSampler pads every aspect-ratio group to whole batches
    per_epoch = sum(-(-int(n) // cfg.data.samples_per_gpu) for n in np.bincount(dataset.flag))
    n_iters = cfg.runner.max_epochs * per_epoch
    print(
        f'[2/4] training {type(model).__name__} on {len(dataset)} images for '
        f'{cfg.runner.max_epochs} epochs ({n_iters} iterations, {torch.get_num_threads()} '
        f'CPU threads); a log line every {cfg.log_config.interval} iterations',
        flush=True,
    )
    t_train = time.time()
    train_detector(
        model,
        dataset,
        cfg,
        validate=True,
        timestamp=timestamp,
        meta=dict(seed=args.seed, exp_name='quickstart'),
    )
    t_train = time.time() - t_train

    print('[3/4] evaluating on the validation images (pycocotools)', flush=True)
    val_set = build_dataset(cfg.data.test, dict(test_mode=True))
    loader = build_dataloader(
        val_set, samples_per_gpu=8, workers_per_gpu=0, dist=False, shuffle=False
    )
    results = single_gpu_test(model, loader)
    metrics = val_set.evaluate(results, metric='bbox', logger=logger)
    if 'bbox_mAP' not in metrics:
        # pycocotools is given no box at all (every score < test_cfg.score_thr, e.g. after
        # a very short --epochs): that is an mAP of 0, not a crash at the end of the run
        print('no detection scored above test_cfg.score_thr: bbox mAP 0', flush=True)
        metrics = dict(metrics, bbox_mAP=0.0, bbox_mAP_50=0.0)

    print(f'[4/4] drawing curves and predictions into {cfg.work_dir}', flush=True)
    curves = osp.join(cfg.work_dir, 'curves.png')
    plot_curves(osp.join(cfg.work_dir, f'{timestamp}.log.json'), per_epoch, curves)
    vis_dir = osp.join(cfg.work_dir, 'vis')
    os.makedirs(vis_dir, exist_ok=True)
    for i in range(min(args.num_vis, len(val_set))):
        info = val_set.data_infos[i]
        img = osp.join(val_set.img_prefix, info['filename'])
        model.show_result(
            img,
            results[i],
            score_thr=0.3,
            out_file=osp.join(vis_dir, osp.basename(info['filename'])),
        )
    total = time.time() - t_start
    summary = dict(
        bbox_mAP=metrics['bbox_mAP'],
        bbox_mAP_50=metrics['bbox_mAP_50'],
        train_seconds=round(t_train, 1),
        total_seconds=round(total, 1),
    )
    _write_json(osp.join(cfg.work_dir, 'summary.json'), summary)
    print(
        f'\nquickstart done in {total / 60:.1f} min (training {t_train / 60:.1f} min): '
        f'bbox mAP {metrics["bbox_mAP"]:.3f}, mAP@0.5 {metrics["bbox_mAP_50"]:.3f}\n'
        f'  curves: {curves}\n  predictions: {vis_dir}/\n  log: '
        f'{osp.join(cfg.work_dir, timestamp + ".log")}'
    )
    return summary


if __name__ == '__main__':
    # set before main() imports torch and its OpenMP runtime starts: with the default
    # (active, spinning) wait policy, 2 threads on 2 cores that another process also
    # used ran an iteration 20-100x slower (> 5 s instead of 0.2 s); passive waiting kept
    # such a busy machine near 1-thread speed. An OMP_WAIT_POLICY set by the caller wins.
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
    main()
