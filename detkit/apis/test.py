"""Testing over a data loader: ``single_gpu_test`` and ``multi_gpu_test`` (MMDetection 2.x API).

Both return one result per image in dataset order: a list with one
``(n, 5)`` float32 array per class, or ``(bbox_results, mask_results)`` with
RLE-encoded masks; the format ``--out`` pickles and ``dataset.evaluate`` reads.
"""
from __future__ import annotations

import os.path as osp
import sys
from typing import Any, Optional

import numpy as np
import torch
import torch.nn as nn
from tqdm import tqdm

from ..engine import (
    collect_results_cpu,
    collect_results_gpu,
    get_dist_info,
    model_device,
    to_device,
    unwrap_model,
)
from ..structures.masks.mask_utils import encode_mask_results


def _encode(result: list) -> list:
    out = []
    for r in result:
        if isinstance(r, tuple) and len(r) == 2:  # (bbox_results, mask_results)
            r = (r[0], encode_mask_results(r[1]))
        out.append(r)
    return out


def _display_images(data: dict) -> list:
    """The batch's images as (H, W, 3) uint8 BGR arrays at their original size.

    Read from disk when the meta names the file (exact pixels), else rebuilt
    from the normalised tensor (arrays given in memory).
    """
    import cv2

    from ..structures.image_io import imread
    img = data['img'][0] if isinstance(data['img'], list) else data['img']
    metas = data['img_metas'][0] if isinstance(data['img_metas'][0], list) else data['img_metas']
    images = []
    for i, meta in enumerate(metas):
        if meta.get('filename') and osp.isfile(meta['filename']):
            images.append(imread(meta['filename']))
            continue
        norm = meta.get('img_norm_cfg', dict(mean=np.zeros(3), std=np.ones(3), to_rgb=False))
        h, w = meta['img_shape'][:2]
        x = img[i, :, :h, :w].detach().cpu().float().numpy().transpose(1, 2, 0)
        x = x * np.asarray(norm['std'], np.float32) + np.asarray(norm['mean'], np.float32)
        if norm.get('to_rgb', False):
            x = x[..., ::-1]
        x = np.clip(x, 0, 255).astype(np.uint8)
        oh, ow = meta['ori_shape'][:2]
        images.append(cv2.resize(np.ascontiguousarray(x), (ow, oh)))
    return images


@torch.no_grad()
def single_gpu_test(model: nn.Module, data_loader: Any, show: bool = False,
                    out_dir: Optional[str] = None, show_score_thr: float = 0.3) -> list:
    """Run the model over the loader in this process, with a progress bar.

    Args:
        model (nn.Module): the detector (a DataParallel/DDP wrapper is fine).
        data_loader (DataLoader): a test loader (``shuffle=False``).
        show (bool): show every drawn result in a window.
        out_dir (str, optional): write every drawn result to
            ``out_dir/<ori_filename>``.
        show_score_thr (float): draw boxes scoring above it.

    Returns:
        list: one result per image, in loader order.
    """
    model.eval()
    device = model_device(model)
    inner = unwrap_model(model)
    dataset = data_loader.dataset
    palette = getattr(dataset, 'PALETTE', None)
    results: list = []
    with tqdm(total=len(dataset), desc='test', unit='img', file=sys.stderr,
              dynamic_ncols=True) as bar:
        for data in data_loader:
            result = model(return_loss=False, rescale=True, **to_device(data, device))
            if show or out_dir:
                metas = (data['img_metas'][0] if isinstance(data['img_metas'][0], list)
                         else data['img_metas'])
                for img_show, meta, r in zip(_display_images(data), metas, result):
                    name = meta.get('ori_filename') or f'{len(results):06d}.jpg'
                    out_file = osp.join(out_dir, name) if out_dir else None
                    inner.show_result(img_show, r, bbox_color=palette, text_color=palette,
                                      mask_color=palette, show=show, out_file=out_file,
                                      score_thr=show_score_thr)
            results.extend(_encode(list(result)))
            bar.update(len(result))
    return results


@torch.no_grad()
def multi_gpu_test(model: nn.Module, data_loader: Any, tmpdir: Optional[str] = None,
                   gpu_collect: bool = False) -> Optional[list]:
    """Each process tests its sampler's share; rank 0 gathers all results.

    Args:
        model (nn.Module): the detector (DDP-wrapped or not).
        data_loader (DataLoader): a test loader with a distributed sampler.
        tmpdir (str, optional): a folder every process can reach, for
            gathering through files (a fresh one under ``.dist_test`` if None).
        gpu_collect (bool): gather through the process group instead of files.

    Returns:
        list | None: all results in dataset order on rank 0; None on other ranks.
    """
    model.eval()
    device = model_device(model)
    rank, world_size = get_dist_info()
    dataset = data_loader.dataset
    results: list = []
    bar = tqdm(total=len(dataset), desc='test', unit='img', file=sys.stderr,
               dynamic_ncols=True) if rank == 0 else None
    for data in data_loader:
        result = model(return_loss=False, rescale=True, **to_device(data, device))
        results.extend(_encode(list(result)))
        if bar is not None:
            # every process handles a batch of this size at the same time
            bar.update(min(len(result) * world_size, len(dataset) - bar.n))
    if bar is not None:
        bar.close()
    if gpu_collect:
        return collect_results_gpu(results, len(dataset))
    return collect_results_cpu(results, len(dataset), tmpdir)


__all__ = ['single_gpu_test', 'multi_gpu_test']
