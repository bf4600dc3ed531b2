"""Write a seeded synthetic shape dataset (COCO or VOC layout) for demos and tests.

    python tools/misc/make_synthetic_coco.py --out data/shapes --num-train 200 --num-val 50 --seed 0

The same arguments give byte-identical files. See ``detkit/datasets/synthetic.py``
for what the scenes hold and the folder layout.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Optional, Sequence

from detkit.datasets.synthetic import SHAPE_CLASSES, make_synthetic_dataset


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--num-train', type=int, default=100, help='number of train images')
    p.add_argument('--num-val', type=int, default=20, help='number of val images')
    p.add_argument('--seed', type=int, default=0, help='random seed')
    p.add_argument('--img-size', type=int, nargs='+', default=[320],
                   help='S (longer side, varied aspect ratios) or W H (fixed size)')
    p.add_argument('--format', choices=['coco', 'voc'], default='coco', dest='fmt')
    p.add_argument('--img-ext', choices=['.jpg', '.png'], default='.jpg')
    p.add_argument('--classes', nargs='+', default=list(SHAPE_CLASSES),
                   choices=list(SHAPE_CLASSES), help='shape classes, in label order')
    args = p.parse_args(argv)
    if len(args.img_size) not in (1, 2):
        p.error(f'--img-size takes S or W H, but got {len(args.img_size)} values')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    size = args.img_size[0] if len(args.img_size) == 1 else tuple(args.img_size)
    t0 = time.perf_counter()
    written = make_synthetic_dataset(args.out, args.num_train, args.num_val, seed=args.seed,
                                     img_size=size, fmt=args.fmt, img_ext=args.img_ext,
                                     classes=args.classes)
    dt = time.perf_counter() - t0
    print(f'wrote {args.num_train} train + {args.num_val} val images ({args.fmt}) to '
          f'{args.out} in {dt:.1f} s', file=sys.stderr)
    for split, what in written.items():
        if isinstance(what, str):
            print(f'  {split}: {what}', file=sys.stderr)


if __name__ == '__main__':
    main()
