"""Proposal recall: ``eval_recalls`` over proposal numbers and IoU thresholds."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
from terminaltables import AsciiTable

from detkit.utils.logging import print_log

from .bbox_overlaps import bbox_overlaps


def _as_array(value, default: float) -> np.ndarray:
    if value is None:
        return np.array([default])
    if isinstance(value, (int, float)):
        return np.array([value])
    return np.asarray(value)


def _greedy_best_ious(ious: np.ndarray) -> np.ndarray:
    """IoU each ground truth gets when the globally best pairs are taken first.

    Args:
        ious (ndarray): (G, P) ground truth x proposals.

    Returns:
        ndarray: (G,) in the order the pairs were taken (the order is irrelevant
        to recall, which only counts values above a threshold).
    """
    ious = ious.copy()
    out = np.zeros(ious.shape[0])
    if ious.size == 0:
        return out
    # each step takes the best remaining pair and retires its row and column;
    # the matching is greedy, so the steps are sequential (one per ground truth)
    for j in range(ious.shape[0]):
        g, p = np.unravel_index(int(ious.argmax()), ious.shape)
        out[j] = ious[g, p]
        ious[g, :] = -1
        ious[:, p] = -1
    return out


def eval_recalls(gts: list, proposals: list,
                 proposal_nums: Union[int, Sequence[int], None] = None,
                 iou_thrs: Union[float, Sequence[float], None] = 0.5, logger=None,
                 use_legacy_coordinate: bool = False) -> np.ndarray:
    """Recall of proposals at each (proposal number, IoU threshold).

    Args:
        gts (list[ndarray]): per image (G, 4) ground-truth boxes.
        proposals (list[ndarray]): per image (P, 4) or (P, 5) boxes (with a
            score column they are sorted by score first).
        proposal_nums (int | Sequence[int]): top-N proposals to evaluate.
        iou_thrs (float | Sequence[float]): IoU thresholds. Default 0.5.
        logger: where the table goes; 'silent' prints nothing.
        use_legacy_coordinate (bool): widths are ``x2 - x1 + 1``.

    Returns:
        ndarray: (len(proposal_nums), len(iou_thrs)) recalls.
    """
    if len(gts) != len(proposals):
        raise ValueError(f'eval_recalls got {len(gts)} ground-truth lists but '
                         f'{len(proposals)} proposal lists')
    nums = _as_array(proposal_nums, 1000).astype(int)
    thrs = _as_array(iou_thrs, 0.5).astype(float)
    per_num = [[] for _ in nums]
    for gt, prop in zip(gts, proposals):
        prop = np.asarray(prop)
        if prop.ndim == 2 and prop.shape[1] == 5:
            prop = prop[np.argsort(prop[:, 4])[::-1]]
        n_gt = 0 if gt is None else gt.shape[0]
        top = min(prop.shape[0], int(nums.max()))
        ious = (bbox_overlaps(gt, prop[:top, :4], use_legacy_coordinate=use_legacy_coordinate)
                if n_gt else np.zeros((0, top), dtype=np.float32))
        for k, n in enumerate(nums):
            per_num[k].append(_greedy_best_ious(ious[:, :n]))
    best = np.stack([np.concatenate(p) if p else np.zeros(0) for p in per_num])  # (K, G)
    total = best.shape[1]
    recalls = (best[:, :, None] >= thrs[None, None, :]).sum(1) / float(max(total, 1))
    if total == 0:
        recalls = np.zeros((len(nums), len(thrs)))
    print_recall_summary(recalls, nums, thrs, logger=logger)
    return recalls


def print_recall_summary(recalls: np.ndarray, proposal_nums, iou_thrs,
                         row_idxs: Optional[np.ndarray] = None,
                         col_idxs: Optional[np.ndarray] = None, logger=None) -> None:
    """Print recalls as a table: one row per proposal number, one column per IoU."""
    if logger == 'silent':
        return
    proposal_nums = np.asarray(proposal_nums, dtype=np.int32)
    iou_thrs = np.asarray(iou_thrs)
    row_idxs = np.arange(proposal_nums.size) if row_idxs is None else row_idxs
    col_idxs = np.arange(iou_thrs.size) if col_idxs is None else col_idxs
    rows = [[''] + iou_thrs[col_idxs].tolist()]
    for i in row_idxs:
        rows.append([f'{proposal_nums[i]}'] + [f'{v:.3f}' for v in recalls[i, col_idxs]])
    print_log('\n' + AsciiTable(rows).table, logger=logger)


def plot_num_recall(recalls, proposal_nums) -> None:
    """Plot recall against the number of proposals (matplotlib)."""
    _plot(proposal_nums, recalls, 'Proposal num', [0, max(proposal_nums)])


def plot_iou_recall(recalls, iou_thrs) -> None:
    """Plot recall against the IoU threshold (matplotlib)."""
    _plot(iou_thrs, recalls, 'IoU', [min(iou_thrs), 1.0])


def _plot(xs, recalls, xlabel: str, xlim: list) -> None:
    from detkit.visualization.palette import import_pyplot
    plt = import_pyplot()
    ys = np.asarray(recalls).reshape(-1).tolist()
    f = plt.figure()
    plt.plot([0] + list(xs), [0] + ys)
    plt.xlabel(xlabel)
    plt.ylabel('Recall')
    plt.axis(xlim + [0, 1.0])
    f.show()
