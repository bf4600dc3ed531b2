"""Inference over a data loader, single- and multi-process (what the evaluation hooks run).

Results follow MMDetection 2.x: one entry per image, in dataset order; an
entry is the detector's per-image result (a list with one ``(n, 5)`` array
per class, or ``(bbox_results, mask_results)`` with masks RLE-encoded).
"""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn as nn

from .dist_utils import collect_results_cpu, collect_results_gpu, get_dist_info
from .utils import model_device, to_device


def _encode_masks(result: list) -> list:
    from ..structures.masks.mask_utils import encode_mask_results

    out = []
    for r in result:
        if isinstance(r, tuple) and len(r) == 2:  # (bbox_results, mask_results)
            bbox_results, mask_results = r
            r = (bbox_results, encode_mask_results(mask_results))
        out.append(r)
    return out


@torch.no_grad()
def run_inference(model: nn.Module, data_loader: Any) -> list:
    """``model(return_loss=False, rescale=True, **batch)`` over the loader; all results.

    Returns:
        list: one result per image, in loader order.
    """
    model.eval()
    device = model_device(model)
    results: list = []
    for data in data_loader:
        result = model(return_loss=False, rescale=True, **to_device(data, device))
        results.extend(_encode_masks(list(result)))
    return results


@torch.no_grad()
def run_inference_dist(
    model: nn.Module, data_loader: Any, tmpdir: Optional[str] = None, gpu_collect: bool = False
) -> Optional[list]:
    """Each process runs its sampler's share; rank 0 gets all results in dataset order.

    Args:
        tmpdir (str, optional): shared folder for ``collect_results_cpu``.
        gpu_collect (bool): gather through the process group instead of files.

    Returns:
        list | None: all results on rank 0, None on the other ranks.
    """
    part = run_inference(model, data_loader)
    size = len(data_loader.dataset)
    if gpu_collect:
        return collect_results_gpu(part, size)
    return collect_results_cpu(part, size, tmpdir)


def is_main_process() -> bool:
    return get_dist_info()[0] == 0
