"""2D box IoU: ``BboxOverlaps2D`` and a differentiable pure-torch ``bbox_overlaps``."""
from __future__ import annotations

import warnings
from typing import Callable, Optional

import torch
from torch import Tensor

from ....registry import IOU_CALCULATORS

MODES = ('iou', 'iof', 'giou')


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        from ....utils.suggest import did_you_mean
        raise ValueError(f'bbox_overlaps: mode must be one of {MODES}, but got {mode!r}'
                         f'{did_you_mean(str(mode), MODES)}')


def bbox_overlaps(bboxes1: Tensor, bboxes2: Tensor, mode: str = 'iou', is_aligned: bool = False,
                  eps: float = 1e-6) -> Tensor:
    """IoU / IoF / GIoU between boxes, in plain torch (differentiable, any dtype).

    Same semantics as MMDetection's ``bbox_overlaps`` and ``detkit.ops.bbox_overlaps``;
    losses use this one because they need gradients.

    Args:
        bboxes1 (Tensor): (..., M, 4) in (x1, y1, x2, y2); ``...`` are batch dims.
        bboxes2 (Tensor): (..., N, 4); N == M when ``is_aligned``.
        mode (str): 'iou', 'iof' (intersection over the area of ``bboxes1``) or 'giou'.
        is_aligned (bool): pair box i with box i instead of all pairs.
        eps (float): lower bound of the union (and enclosing area) against 0/0.

    Returns:
        Tensor: (..., M, N), or (..., M) when aligned.
    """
    _check_mode(mode)
    if bboxes1.size(-1) not in (0, 4) or bboxes2.size(-1) not in (0, 4):
        raise ValueError(f'bbox_overlaps expects (..., 4) boxes, but got '
                         f'{tuple(bboxes1.shape)} and {tuple(bboxes2.shape)}')
    if bboxes1.shape[:-2] != bboxes2.shape[:-2]:
        raise ValueError(f'bbox_overlaps: batch dims differ: {tuple(bboxes1.shape)} vs '
                         f'{tuple(bboxes2.shape)}')
    batch = bboxes1.shape[:-2]
    rows, cols = bboxes1.size(-2), bboxes2.size(-2)
    if is_aligned and rows != cols:
        raise ValueError(f'bbox_overlaps(is_aligned=True) needs as many boxes on both sides, '
                         f'but got {rows} and {cols}')
    if rows * cols == 0 and not (bboxes1.requires_grad or bboxes2.requires_grad):
        return bboxes1.new_zeros(batch + ((rows,) if is_aligned else (rows, cols)))
    # (empty inputs that need a gradient go through the arithmetic below, which keeps
    # the graph: a loss over zero boxes must still backward)
    area1 = (bboxes1[..., 2] - bboxes1[..., 0]) * (bboxes1[..., 3] - bboxes1[..., 1])
    area2 = (bboxes2[..., 2] - bboxes2[..., 0]) * (bboxes2[..., 3] - bboxes2[..., 1])
    if is_aligned:
        b1, b2, a2 = bboxes1, bboxes2, area2
    else:
        b1, b2 = bboxes1[..., :, None, :], bboxes2[..., None, :, :]
        area1, a2 = area1[..., :, None], area2[..., None, :]
    wh = (torch.min(b1[..., 2:], b2[..., 2:]) - torch.max(b1[..., :2], b2[..., :2])).clamp(min=0)
    overlap = wh[..., 0] * wh[..., 1]
    union = area1 + a2 - overlap if mode in ('iou', 'giou') else area1
    eps_t = union.new_tensor([eps])
    union = torch.max(union, eps_t)
    ious = overlap / union
    if mode != 'giou':
        return ious
    enc = (torch.max(b1[..., 2:], b2[..., 2:]) - torch.min(b1[..., :2], b2[..., :2])).clamp(min=0)
    enclose_area = torch.max(enc[..., 0] * enc[..., 1], eps_t)
    return ious - (enclose_area - union) / enclose_area


_OPS_ERROR: list = []  # the reason detkit.ops could not be loaded, reported once


def _compiled_overlaps() -> Optional[Callable]:
    """``detkit.ops.bbox_overlaps`` when the compiled extension loads, else None.

    The torch fallback computes the same numbers; a warning says once why it is used.
    """
    try:
        from .... import ops
    except (ImportError, RuntimeError, OSError) as e:
        if not _OPS_ERROR:
            _OPS_ERROR.append(e)
            warnings.warn(f'detkit.ops could not be loaded ({type(e).__name__}: {e}); '
                          f'BboxOverlaps2D uses the pure-torch bbox_overlaps', RuntimeWarning,
                          stacklevel=3)
        return None
    return getattr(ops, 'bbox_overlaps', None)


def _cast_tensor_type(x: Tensor, scale: float = 1., dtype: Optional[str] = None) -> Tensor:
    if dtype == 'fp16':
        # dividing by ``scale`` first keeps large pixel coordinates inside fp16's range
        x = (x / scale).half()
    return x


@IOU_CALCULATORS.register_module()
class BboxOverlaps2D:
    """IoU between two sets of 2D boxes (calls ``detkit.ops.bbox_overlaps``).

    Args:
        scale (float): boxes are divided by ``scale`` before an fp16 computation.
        dtype (str, optional): 'fp16' computes in half precision (saves memory on
            GPU; the result is cast back to float32 on CPU, where half math is slow
            or missing).
    """

    def __init__(self, scale: float = 1., dtype: Optional[str] = None):
        if dtype not in (None, 'fp16'):
            raise ValueError(f"BboxOverlaps2D: dtype must be None or 'fp16', but got {dtype!r}")
        self.scale = scale
        self.dtype = dtype

    def __call__(self, bboxes1: Tensor, bboxes2: Tensor, mode: str = 'iou',
                 is_aligned: bool = False) -> Tensor:
        """Overlaps of ``bboxes1`` (..., M, 4|5) with ``bboxes2`` (..., N, 4|5).

        A fifth column (a score) is ignored. Returns (..., M, N), or (..., M) aligned.
        """
        for name, b in (('bboxes1', bboxes1), ('bboxes2', bboxes2)):
            if b.size(-1) not in (0, 4, 5):
                raise ValueError(f'BboxOverlaps2D: {name} must be (..., 4) or (..., 5), '
                                 f'but got {tuple(b.shape)}')
        if bboxes1.size(-1) == 5:
            bboxes1 = bboxes1[..., :4]
        if bboxes2.size(-1) == 5:
            bboxes2 = bboxes2[..., :4]
        if self.dtype == 'fp16':
            bboxes1 = _cast_tensor_type(bboxes1, self.scale, self.dtype)
            bboxes2 = _cast_tensor_type(bboxes2, self.scale, self.dtype)
            overlaps = self._overlaps(bboxes1, bboxes2, mode, is_aligned)
            if not overlaps.is_cuda and overlaps.dtype == torch.float16:
                overlaps = overlaps.float()
            return overlaps
        return self._overlaps(bboxes1, bboxes2, mode, is_aligned)

    @staticmethod
    def _overlaps(bboxes1: Tensor, bboxes2: Tensor, mode: str, is_aligned: bool) -> Tensor:
        op = _compiled_overlaps()
        if op is None:  # extension not built: the same arithmetic in torch
            return bbox_overlaps(bboxes1, bboxes2, mode=mode, is_aligned=is_aligned)
        # the op itself takes the differentiable path when gradients are needed
        return op(bboxes1, bboxes2, mode=mode, is_aligned=is_aligned)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale}, dtype={self.dtype})'
