"""Detect objects in one image and draw them (MMDetection 2.x ``demo/image_demo.py``).

    python demo/image_demo.py IMG CONFIG CHECKPOINT [--device cpu] [--out-file out.jpg]
"""
from __future__ import annotations

import os.path as osp
import sys
from argparse import ArgumentParser
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from detkit.apis import inference_detector, init_detector, show_result_pyplot  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None):
    p = ArgumentParser()
    p.add_argument('img', help='Image file')
    p.add_argument('config', help='Config file')
    p.add_argument('checkpoint', help='Checkpoint file')
    p.add_argument('--out-file', default=None, help='Path to output file')
    p.add_argument('--device', default='cuda:0', help='Device used for inference')
    p.add_argument('--palette', default='coco', choices=['coco', 'voc', 'citys', 'random'],
                   help='Color palette used for visualization')
    p.add_argument('--score-thr', type=float, default=0.3, help='bbox score threshold')
    p.add_argument('--unsafe-load', action='store_true',
                   help='unpickle the checkpoint fully (only for files you trust)')
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> list:
    args = parse_args(argv)
    if args.device.startswith('cuda'):
        import torch
        if not torch.cuda.is_available():
            raise RuntimeError(f'--device {args.device}: CUDA is not available here; '
                               f'use --device cpu')
    model = init_detector(args.config, args.checkpoint, device=args.device,
                          weights_only=not args.unsafe_load)
    result = inference_detector(model, args.img)
    show_result_pyplot(model, args.img, result, palette=args.palette,
                       score_thr=args.score_thr, out_file=args.out_file)
    return result


if __name__ == '__main__':
    main()
