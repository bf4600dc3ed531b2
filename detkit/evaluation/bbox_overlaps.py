"""Box IoU / IoF in numpy, for the evaluators (which work on numpy results)."""
from __future__ import annotations

import numpy as np


def bbox_overlaps(bboxes1: np.ndarray, bboxes2: np.ndarray, mode: str = 'iou',
                  eps: float = 1e-6, use_legacy_coordinate: bool = False) -> np.ndarray:
    """Pairwise overlaps of two box sets, as ``mmdet.core.evaluation.bbox_overlaps``.

    Args:
        bboxes1 (ndarray): (N, 4) (x1, y1, x2, y2); extra columns are ignored.
        bboxes2 (ndarray): (K, 4).
        mode (str): 'iou' (intersection over union) or 'iof' (intersection over
            the area of the ``bboxes1`` box: "foreground").
        eps (float): lower bound of the denominator.
        use_legacy_coordinate (bool): MMDetection 1.x widths ``x2 - x1 + 1``.

    Returns:
        ndarray: (N, K) float32.
    """
    if mode not in ('iou', 'iof'):
        raise ValueError(f"mode must be 'iou' or 'iof', but got {mode!r}")
    b1 = np.asarray(bboxes1, dtype=np.float32)[:, :4]
    b2 = np.asarray(bboxes2, dtype=np.float32)[:, :4]
    if b1.shape[0] == 0 or b2.shape[0] == 0:
        return np.zeros((b1.shape[0], b2.shape[0]), dtype=np.float32)
    extra = 1.0 if use_legacy_coordinate else 0.0
    area1 = (b1[:, 2] - b1[:, 0] + extra) * (b1[:, 3] - b1[:, 1] + extra)
    area2 = (b2[:, 2] - b2[:, 0] + extra) * (b2[:, 3] - b2[:, 1] + extra)
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = np.clip(rb - lt + extra, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    if mode == 'iou':
        union = area1[:, None] + area2[None, :] - inter
    else:
        union = np.broadcast_to(area1[:, None], inter.shape)
    return (inter / np.maximum(union, eps)).astype(np.float32)
