"""Draw what the train pipeline of a config yields: images with their boxes, labels, masks.

    python tools/misc/browse_dataset.py CONFIG --output-dir vis --not-show
    python tools/misc/browse_dataset.py CONFIG --skip-type DefaultFormatBundle Normalize Collect

The transforms named by ``--skip-type`` are removed from ``data.train``'s
pipeline (by default the formatting ones, so that images stay uint8 HWC); wrapped
datasets (RepeatDataset, ClassBalancedDataset, ...) are unwrapped down to the
innermost dataset or a MultiImageMixDataset, whose own pipeline is then shown.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from collections.abc import Sequence
from typing import Optional

import numpy as np

from detkit.config import Config, DictAction
from detkit.datasets import build_dataset
from detkit.visualization import imshow_det_bboxes


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Browse a dataset')
    p.add_argument('config', help='train config file path')
    p.add_argument('--skip-type', type=str, nargs='+',
                   default=['DefaultFormatBundle', 'Normalize', 'Collect'],
                   help='skip some useless pipeline')
    p.add_argument('--output-dir', default=None, type=str,
                   help='If there is no display interface, you can save it')
    p.add_argument('--not-show', default=False, action='store_true')
    p.add_argument('--show-interval', type=float, default=2, help='the interval of show (s)')
    p.add_argument('--max-images', type=int, default=None,
                   help='stop after this many images (default: the whole dataset)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings of the config, key=value (see tools/train.py)')
    return p.parse_args(argv)


def retrieve_data_cfg(config_path: str, skip_type: Sequence[str],
                      cfg_options: Optional[dict]) -> Config:
    """The config, with ``skip_type`` transforms removed from the shown train pipeline."""
    cfg = Config.fromfile(config_path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    train = cfg.data.train
    while 'dataset' in train and train['type'] != 'MultiImageMixDataset':
        train = train['dataset']
    for c in (train if isinstance(train, (list, tuple)) else [train]):
        c['pipeline'] = [t for t in c['pipeline'] if t['type'] not in skip_type]
    return cfg


def _as_image(item: dict) -> np.ndarray:
    """The sample's image as (H, W, 3) uint8 BGR, undoing ImageToTensor / Normalize."""
    img = item['img']
    if hasattr(img, 'numpy'):  # a formatted (C, H, W) tensor
        img = img.numpy().transpose(1, 2, 0)
    img = np.asarray(img, dtype=np.float32)
    meta = item.get('img_metas') or item
    norm = meta.get('img_norm_cfg') if isinstance(meta, dict) else None
    if norm is not None:
        img = img * np.asarray(norm['std'], np.float32) + np.asarray(norm['mean'], np.float32)
        if norm.get('to_rgb', False):
            img = img[..., ::-1]
    return np.clip(img, 0, 255).astype(np.uint8)


def _as_array(x) -> np.ndarray:
    return x.numpy() if hasattr(x, 'numpy') else np.asarray(x)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.not_show and args.output_dir is None:
        print('browse_dataset: --not-show without --output-dir draws nothing anyone sees; '
              'give --output-dir DIR', file=sys.stderr)
        sys.exit(2)
    cfg = retrieve_data_cfg(args.config, args.skip_type, args.cfg_options)
    dataset = build_dataset(cfg.data.train)
    if args.output_dir is not None:
        os.makedirs(args.output_dir, exist_ok=True)
    total = len(dataset) if args.max_images is None else min(args.max_images, len(dataset))
    palette = getattr(dataset, 'PALETTE', None)
    for i in range(total):
        item = dataset[i]
        meta = item.get('img_metas', item)
        name = osp.basename(meta.get('filename', f'{i:06d}.jpg'))
        out_file = osp.join(args.output_dir, f'{i:06d}_{name}') if args.output_dir else None
        masks = item.get('gt_masks', None)
        if masks is not None:
            masks = masks.to_ndarray() if hasattr(masks, 'to_ndarray') else _as_array(masks)
            masks = masks.astype(bool)
        imshow_det_bboxes(_as_image(item), _as_array(item['gt_bboxes']),
                          _as_array(item['gt_labels']), masks, class_names=dataset.CLASSES,
                          show=not args.not_show, wait_time=args.show_interval,
                          out_file=out_file, bbox_color=palette, text_color=(200, 200, 200),
                          mask_color=palette)
        print(f'\r{i + 1}/{total}', end='', file=sys.stderr, flush=True)
    print(file=sys.stderr)


if __name__ == '__main__':
    main()
