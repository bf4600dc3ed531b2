"""Overlaps (IoU, IoF, GIoU) between two sets of boxes, MMDetection 2.x semantics."""

from __future__ import annotations

import torch
from torch import Tensor

_MODES = ('iou', 'iof', 'giou')


def bbox_overlaps(
    bboxes1: Tensor, bboxes2: Tensor, mode: str = 'iou', is_aligned: bool = False, eps: float = 1e-6
) -> Tensor:
    """Overlaps between two sets of boxes in (x1, y1, x2, y2) format.

    Same results as ``mmdet.core.bbox.bbox_overlaps`` (MMDetection 2.x):
    ``iou = overlap / max(union, eps)``, ``iof = overlap / max(area1, eps)``,
    ``giou = iou - (enclose - union) / enclose`` with union and enclosing area
    clamped to ``eps``. Boxes with x2 < x1 have a negative area, as in mmdet.

    Args:
        bboxes1 (Tensor): (..., m, 4) boxes, or empty.
        bboxes2 (Tensor): (..., n, 4) boxes, or empty; same leading (batch) dims.
        mode (str): 'iou', 'iof' (intersection over foreground = area of
            bboxes1) or 'giou'.
        is_aligned (bool): if True, m == n and the i-th boxes are paired.
        eps (float): lower bound of the denominators.

    Returns:
        Tensor: (..., m, n), or (..., m) if ``is_aligned``, in the dtype of
        ``bboxes1``. fp16/bf16 boxes are computed in fp32 and the result cast back.

    2-D inputs run the compiled ``torch.ops.detkit.bbox_overlaps`` (CPU/CUDA),
    which is forward-only: when autograd needs a gradient (an input requires grad
    and grad mode is on) or leading batch dims are present, an equivalent
    pure-torch path runs instead, so losses such as GIoU are differentiable.
    """
    if mode not in _MODES:
        raise ValueError(f'bbox_overlaps: mode must be one of {_MODES}, got {mode!r}')
    for name, b in (('bboxes1', bboxes1), ('bboxes2', bboxes2)):
        if b.dim() < 1 or not (b.size(-1) == 4 or b.size(0) == 0):
            raise ValueError(
                f'bbox_overlaps: {name} must have shape (..., n, 4) or be empty, '
                f'got {tuple(b.shape)}'
            )
    if bboxes1.dim() < 2 or bboxes2.dim() < 2 or bboxes1.shape[:-2] != bboxes2.shape[:-2]:
        raise ValueError(
            'bbox_overlaps: bboxes1 and bboxes2 must have the same leading (batch) dims, got '
            f'{tuple(bboxes1.shape)} and {tuple(bboxes2.shape)}'
        )
    batch_shape = bboxes1.shape[:-2]
    rows, cols = bboxes1.size(-2), bboxes2.size(-2)
    if is_aligned and rows != cols:
        raise ValueError(
            'bbox_overlaps: is_aligned=True needs as many bboxes1 as bboxes2, got '
            f'{tuple(bboxes1.shape)} and {tuple(bboxes2.shape)}'
        )
    if rows * cols == 0:
        shape = batch_shape + ((rows,) if is_aligned else (rows, cols))
        return bboxes1.new_zeros(shape)
    needs_grad = torch.is_grad_enabled() and (bboxes1.requires_grad or bboxes2.requires_grad)
    if bboxes1.dim() == 2 and not needs_grad:
        return torch.ops.detkit.bbox_overlaps(
            bboxes1, bboxes2.to(bboxes1.dtype), mode, is_aligned, eps
        )
    return _bbox_overlaps_torch(bboxes1, bboxes2, mode, is_aligned, eps)


def _bbox_overlaps_torch(
    bboxes1: Tensor, bboxes2: Tensor, mode: str, is_aligned: bool, eps: float
) -> Tensor:
    """Differentiable, batched reference with the arithmetic of the compiled kernel."""
    dtype = bboxes1.dtype
    if dtype in (torch.float16, torch.bfloat16):
        bboxes1, bboxes2 = bboxes1.float(), bboxes2.float()
    else:
        bboxes2 = bboxes2.to(dtype)
    if is_aligned:
        b1, b2 = bboxes1, bboxes2
    else:
        b1, b2 = bboxes1[..., :, None, :], bboxes2[..., None, :, :]
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    wh = (torch.min(b1[..., 2:], b2[..., 2:]) - torch.max(b1[..., :2], b2[..., :2])).clamp(min=0)
    overlap = wh[..., 0] * wh[..., 1]
    union = area1 + area2 - overlap if mode != 'iof' else area1.expand_as(overlap)
    union = union.clamp(min=eps)
    ious = overlap / union
    if mode == 'giou':
        ewh = (torch.max(b1[..., 2:], b2[..., 2:]) - torch.min(b1[..., :2], b2[..., :2])).clamp(
            min=0
        )
        enclose = (ewh[..., 0] * ewh[..., 1]).clamp(min=eps)
        ious = ious - (enclose - union) / enclose
    return ious.to(dtype)
