"""Mask result helpers: RLE encoding of results, boxes from masks (MMDetection 2.x)."""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import pycocotools.mask as mask_util
import torch


def encode_mask_results(mask_results: Union[list, tuple]) -> Union[list, tuple]:
    """RLE-encode per-class bitmap mask results (the format the COCO evaluator reads).

    Args:
        mask_results (list[list[ndarray]] | tuple): per class C, a list of (H, W)
            bool/uint8 masks; or ``(masks, mask_scores)`` from mask-scoring heads.

    Returns:
        list[list[dict]] (or a tuple with the untouched scores): the same nesting
        with each mask replaced by its pycocotools RLE dict.
    """
    cls_segms, scores = (mask_results if isinstance(mask_results, tuple)
                         else (mask_results, None))
    encoded = []
    for segms in cls_segms:
        if len(segms) == 0:
            encoded.append([])
            continue
        # one encode call per class: pycocotools takes an (H, W, K) Fortran array
        stack = np.asfortranarray(np.stack([np.asarray(s) for s in segms], -1).astype(np.uint8))
        encoded.append(list(mask_util.encode(stack)))
    return (encoded, scores) if isinstance(mask_results, tuple) else encoded


def mask2bbox(masks: torch.Tensor) -> torch.Tensor:
    """Tight boxes of (N, H, W) bool masks -> (N, 4) float [x1, y1, x2 + 1, y2 + 1];
    zeros for empty masks."""
    n = masks.shape[0]
    bboxes = masks.new_zeros((n, 4), dtype=torch.float32)
    if n == 0:
        return bboxes
    x_any = masks.any(dim=1)  # (N, W)
    y_any = masks.any(dim=2)  # (N, H)
    w, h = x_any.shape[1], y_any.shape[1]
    nonempty = x_any.any(dim=1)
    # argmax returns the first maximum: the first foreground column/row
    x1 = x_any.to(torch.uint8).argmax(dim=1)
    x2 = w - x_any.flip(1).to(torch.uint8).argmax(dim=1)
    y1 = y_any.to(torch.uint8).argmax(dim=1)
    y2 = h - y_any.flip(1).to(torch.uint8).argmax(dim=1)
    boxes = torch.stack([x1, y1, x2, y2], dim=1).to(torch.float32)
    bboxes[nonempty] = boxes[nonempty]
    return bboxes


def split_combined_polys(polys: Sequence[torch.Tensor], poly_lens: Sequence[torch.Tensor],
                         polys_per_mask: Sequence[torch.Tensor]) -> list:
    """Undo the flattening of polygons batched by image.

    Args:
        polys (list[Tensor]): per image, all coordinates concatenated.
        poly_lens (list[Tensor]): per image, the length of each polygon.
        polys_per_mask (list[Tensor]): per image, the number of polygons per mask.

    Returns:
        list[list[list[ndarray]]]: per image, per mask, its polygons.
    """
    out = []
    for poly, lens, per_mask in zip(polys, poly_lens, polys_per_mask):
        ends = np.cumsum(np.asarray(lens, dtype=np.int64))
        flat = [np.asarray(poly)[e - n:e] for e, n in zip(ends, np.asarray(lens, np.int64))]
        bounds = np.cumsum(np.asarray(per_mask, dtype=np.int64))
        out.append([flat[b - k:b] for b, k in zip(bounds, np.asarray(per_mask, np.int64))])
    return out
