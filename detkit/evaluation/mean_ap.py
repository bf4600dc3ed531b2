"""VOC-style mean average precision: ``eval_map`` and its pieces, as MMDetection 2.x.

Boxes are (x1, y1, x2, y2) in pixels; detections carry a score column.
Results match ``mmdet.core.evaluation.eval_map`` (including its matching rule:
each detection is matched to the ground truth it overlaps most, and the
highest-scoring detection of a ground truth is its true positive).
"""
from __future__ import annotations

from functools import partial
from multiprocessing import get_context
from typing import Callable, Optional, Sequence, Union

import numpy as np
from terminaltables import AsciiTable

from detkit.utils.logging import print_log

from .bbox_overlaps import bbox_overlaps
from .class_names import get_classes

#: below this many images the pool costs more than it saves
_MIN_IMGS_FOR_POOL = 64


def average_precision(recalls: np.ndarray, precisions: np.ndarray,
                      mode: str = 'area') -> Union[float, np.ndarray]:
    """Average precision for one or several scales.

    Args:
        recalls (ndarray): (S, D) or (D,), non-decreasing along D.
        precisions (ndarray): same shape.
        mode (str): 'area' (area under the interpolated precision/recall curve)
            or '11points' (mean of the best precision at recall >= 0, 0.1, ..., 1;
            VOC2007).

    Returns:
        float32 ndarray (S,), or a float32 scalar for 1-d input.
    """
    if mode not in ('area', '11points'):
        raise ValueError(f"Unrecognized mode {mode!r}, only 'area' and '11points' are supported")
    no_scale = recalls.ndim == 1
    recalls = np.atleast_2d(recalls)
    precisions = np.atleast_2d(precisions)
    if recalls.shape != precisions.shape:
        raise ValueError(f'recalls {recalls.shape} and precisions {precisions.shape} differ')
    s = recalls.shape[0]
    if mode == 'area':
        mrec = np.hstack([np.zeros((s, 1)), recalls, np.ones((s, 1))])
        mpre = np.hstack([np.zeros((s, 1)), precisions, np.zeros((s, 1))])
        # precision envelope: the best precision at this recall or any higher one
        mpre = np.maximum.accumulate(mpre[:, ::-1], axis=1)[:, ::-1]
        step = mrec[:, 1:] != mrec[:, :-1]
        ap = ((mrec[:, 1:] - mrec[:, :-1]) * mpre[:, 1:] * step).sum(1).astype(np.float32)
    else:
        thrs = np.arange(0, 1 + 1e-3, 0.1)
        reached = recalls[:, None, :] >= thrs[None, :, None]  # (S, 11, D)
        best = np.where(reached, precisions[:, None, :], 0).max(2, initial=0)
        ap = (best.sum(1) / 11).astype(np.float32)
    return ap[0] if no_scale else ap


def _areas(bboxes: np.ndarray, extra: float) -> np.ndarray:
    return (bboxes[:, 2] - bboxes[:, 0] + extra) * (bboxes[:, 3] - bboxes[:, 1] + extra)


def _in_range(areas: np.ndarray, rng: tuple) -> np.ndarray:
    if rng[0] is None:
        return np.ones(areas.shape, dtype=bool)
    return (areas >= rng[0]) & (areas < rng[1])


def tpfp_default(det_bboxes: np.ndarray, gt_bboxes: np.ndarray,
                 gt_bboxes_ignore: Optional[np.ndarray] = None, iou_thr: float = 0.5,
                 area_ranges: Optional[list] = None, use_legacy_coordinate: bool = False,
                 ioa_thr: Optional[float] = None, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """True / false positives of one image and class.

    Args:
        det_bboxes (ndarray): (D, 5) boxes and scores.
        gt_bboxes (ndarray): (G, 4).
        gt_bboxes_ignore (ndarray, optional): (I, 4) boxes whose detections
            count neither as TP nor FP.
        iou_thr (float): IoU for a match.
        area_ranges (list[tuple], optional): (min_area, max_area) per scale;
            ground truth outside a range is ignored, detections outside it
            that match nothing are not counted.
        use_legacy_coordinate (bool): widths are ``x2 - x1 + 1``.
        ioa_thr (float, optional): detkit extension: an unmatched detection
            covered by an ignore box by at least this fraction of its own area
            (intersection over detection area) is ignored, not a FP.

    Returns:
        tuple: tp, fp, each (S, D) float32 (S = number of area ranges or 1).
    """
    extra = 1.0 if use_legacy_coordinate else 0.0
    if gt_bboxes_ignore is None:
        gt_bboxes_ignore = np.zeros((0, 4), dtype=np.float32)
    num_dets = det_bboxes.shape[0]
    ranges = area_ranges if area_ranges is not None else [(None, None)]
    tp = np.zeros((len(ranges), num_dets), dtype=np.float32)
    fp = np.zeros((len(ranges), num_dets), dtype=np.float32)
    if num_dets == 0:
        return tp, fp
    is_ignore = np.r_[np.zeros(len(gt_bboxes), bool), np.ones(len(gt_bboxes_ignore), bool)]
    all_gts = np.vstack([gt_bboxes[:, :4], gt_bboxes_ignore[:, :4]])
    det_areas = _areas(det_bboxes, extra)
    covered = np.zeros(num_dets, dtype=bool)
    if ioa_thr is not None and len(gt_bboxes_ignore):
        ioa = bbox_overlaps(det_bboxes, gt_bboxes_ignore, mode='iof',
                            use_legacy_coordinate=use_legacy_coordinate)
        covered = ioa.max(1) >= ioa_thr
    if len(all_gts) == 0:
        for k, rg in enumerate(ranges):
            fp[k] = _in_range(det_areas, rg) & ~covered
        return tp, fp
    ious = bbox_overlaps(det_bboxes, all_gts, use_legacy_coordinate=use_legacy_coordinate)
    best_iou, best_gt = ious.max(1), ious.argmax(1)
    order = np.argsort(-det_bboxes[:, -1])  # the same (unstable) sort as mmdet for ties
    matched = best_iou[order] >= iou_thr
    gt_of = best_gt[order]
    gt_areas = _areas(all_gts, extra)
    for k, rg in enumerate(ranges):
        ignored_gt = is_ignore | ~_in_range(gt_areas, rg)
        valid = matched & ~ignored_gt[gt_of]
        # the first (highest-scoring) valid detection of each ground truth is its TP
        _, first = np.unique(np.where(valid, gt_of, -1), return_index=True)
        first = first[valid[first]]
        tp_sorted = np.zeros(num_dets, dtype=bool)
        tp_sorted[first] = True
        fp_sorted = (valid & ~tp_sorted) | (~matched & _in_range(det_areas[order], rg)
                                           & ~covered[order])
        tp[k, order] = tp_sorted
        fp[k, order] = fp_sorted
    return tp, fp


def tpfp_imagenet(det_bboxes: np.ndarray, gt_bboxes: np.ndarray,
                  gt_bboxes_ignore: Optional[np.ndarray] = None, default_iou_thr: float = 0.5,
                  area_ranges: Optional[list] = None, use_legacy_coordinate: bool = False,
                  **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """True / false positives as ImageNet DET/VID count them.

    Small ground truth gets a looser IoU threshold ``min(0.5, wh / ((w+10)(h+10)))``
    and a detection takes the best *still unmatched* ground truth, so matching is
    greedy in score order (a loop over detections, each step vectorised).
    Shapes as :func:`tpfp_default`.
    """
    extra = 1.0 if use_legacy_coordinate else 0.0
    if gt_bboxes_ignore is None:
        gt_bboxes_ignore = np.zeros((0, 4), dtype=np.float32)
    num_dets = det_bboxes.shape[0]
    ranges = area_ranges if area_ranges is not None else [(None, None)]
    tp = np.zeros((len(ranges), num_dets), dtype=np.float32)
    fp = np.zeros((len(ranges), num_dets), dtype=np.float32)
    is_ignore = np.r_[np.zeros(len(gt_bboxes), bool), np.ones(len(gt_bboxes_ignore), bool)]
    all_gts = np.vstack([gt_bboxes[:, :4], gt_bboxes_ignore[:, :4]])
    det_areas = _areas(det_bboxes, extra)
    if len(all_gts) == 0:
        for k, rg in enumerate(ranges):
            fp[k] = _in_range(det_areas, rg)
        return tp, fp
    # MMDetection shifts every ground-truth coordinate by -1 here (a VOC 1-based
    # legacy); we keep it so that ImageNet numbers match theirs
    ious = bbox_overlaps(det_bboxes, all_gts - 1, use_legacy_coordinate=use_legacy_coordinate)
    gt_w = all_gts[:, 2] - all_gts[:, 0] + extra
    gt_h = all_gts[:, 3] - all_gts[:, 1] + extra
    thrs = np.minimum(gt_w * gt_h / ((gt_w + 10.0) * (gt_h + 10.0)), default_iou_thr)
    order = np.argsort(-det_bboxes[:, -1])
    gt_areas = gt_w * gt_h
    for k, rg in enumerate(ranges):
        ignored_gt = is_ignore | ~_in_range(gt_areas, rg)
        taken = np.zeros(len(all_gts), dtype=bool)
        for i in order:
            cand = np.where(taken | (ious[i] < thrs), -np.inf, ious[i])
            j = int(cand.argmax())
            if np.isfinite(cand[j]):
                taken[j] = True  # an ignored match still consumes its ground truth
                tp[k, i] = float(not ignored_gt[j])
            elif _in_range(det_areas[i:i + 1], rg)[0]:
                fp[k, i] = 1
    return tp, fp


def get_cls_results(det_results: list, annotations: list, class_id: int) -> tuple:
    """Detections, ground truth and ignored ground truth of one class, per image.

    ``bboxes_ignore`` is used only where ``labels_ignore`` is given, as MMDetection does.
    """
    cls_dets = [img_res[class_id] for img_res in det_results]
    cls_gts, cls_gts_ignore = [], []
    for ann in annotations:
        cls_gts.append(np.asarray(ann['bboxes']).reshape(-1, 4)[ann['labels'] == class_id])
        if ann.get('labels_ignore', None) is not None:
            ign = np.asarray(ann['bboxes_ignore']).reshape(-1, 4)
            cls_gts_ignore.append(ign[ann['labels_ignore'] == class_id])
        else:
            cls_gts_ignore.append(np.zeros((0, 4), dtype=np.float32))
    return cls_dets, cls_gts, cls_gts_ignore


def _check_inputs(det_results: list, annotations: list) -> int:
    if len(det_results) != len(annotations):
        raise ValueError(f'eval_map got {len(det_results)} detection results but '
                         f'{len(annotations)} annotations; they must be per image, in order')
    if not det_results:
        raise ValueError('eval_map got no images')
    num_classes = len(det_results[0])
    for i, (res, ann) in enumerate(zip(det_results, annotations)):
        if len(res) != num_classes:
            raise ValueError(f'image {i} has detections for {len(res)} classes, '
                             f'image 0 for {num_classes}')
        for c, d in enumerate(res):
            if d.ndim != 2 or d.shape[1] != 5:
                raise ValueError(f'detections of image {i}, class {c} must be (n, 5) '
                                 f'[x1, y1, x2, y2, score], but got shape {d.shape}')
        for key in ('bboxes', 'labels'):
            if key not in ann:
                raise KeyError(f'annotation of image {i} has no {key!r}; keys: {sorted(ann)}')
    return num_classes


def eval_map(det_results: list, annotations: list, scale_ranges: Optional[list] = None,
             iou_thr: float = 0.5, ioa_thr: Optional[float] = None,
             dataset: Union[str, Sequence[str], None] = None, logger=None,
             tpfp_fn: Optional[Callable] = None, nproc: int = 4,
             use_legacy_coordinate: bool = False) -> tuple[float, list[dict]]:
    """Mean average precision over classes (VOC protocol).

    Args:
        det_results (list[list[ndarray]]): per image, per class (n, 5)
            [x1, y1, x2, y2, score] float arrays.
        annotations (list[dict]): per image ``bboxes`` (n, 4), ``labels`` (n,),
            optionally ``bboxes_ignore`` (k, 4) with ``labels_ignore`` (k,).
        scale_ranges (list[tuple], optional): [(min, max), ...]: a range (32, 64)
            evaluates boxes of area in [32**2, 64**2).
        iou_thr (float): IoU for a match.
        ioa_thr (float, optional): see :func:`tpfp_default`.
        dataset (str | list[str], optional): dataset name or class names; 'voc07'
            uses 11-point AP, 'det'/'vid' ImageNet matching; also names the classes
            in the printed table.
        logger: where the table goes (see ``detkit.utils.logging.print_log``);
            'silent' prints nothing.
        tpfp_fn (callable, optional): replaces the TP/FP rule.
        nproc (int): processes for TP/FP (used for >= 64 images; 1 = none).
        use_legacy_coordinate (bool): widths are ``x2 - x1 + 1``.

    Returns:
        tuple: (mAP, per-class dicts with ``num_gts``, ``num_dets``, ``recall``,
        ``precision``, ``ap``); with scale ranges mAP is a list (one per range)
        and the per-class entries are arrays over the ranges.
    """
    num_classes = _check_inputs(det_results, annotations)
    if nproc < 1:
        raise ValueError(f'nproc must be at least 1, but got {nproc}')
    extra = 1.0 if use_legacy_coordinate else 0.0
    num_imgs = len(det_results)
    num_scales = len(scale_ranges) if scale_ranges is not None else 1
    area_ranges = ([(rg[0] ** 2, rg[1] ** 2) for rg in scale_ranges]
                   if scale_ranges is not None else None)
    if tpfp_fn is None:
        tpfp_fn = tpfp_imagenet if dataset in ('det', 'vid') else tpfp_default
    if not callable(tpfp_fn):
        raise ValueError(f'tpfp_fn must be callable, but got {type(tpfp_fn).__name__}')
    kwargs = dict(area_ranges=area_ranges, use_legacy_coordinate=use_legacy_coordinate)
    if tpfp_fn is tpfp_imagenet:
        kwargs['default_iou_thr'] = iou_thr
    else:
        kwargs['iou_thr'] = iou_thr
    if ioa_thr is not None:
        kwargs['ioa_thr'] = ioa_thr
    use_pool = nproc > 1 and num_imgs >= _MIN_IMGS_FOR_POOL
    pool = get_context('fork').Pool(min(nproc, num_imgs)) if use_pool else None
    eval_results = []
    try:
        for c in range(num_classes):
            cls_dets, cls_gts, cls_gts_ignore = get_cls_results(det_results, annotations, c)
            fn = partial(_call_tpfp, tpfp_fn, kwargs)
            items = list(zip(cls_dets, cls_gts, cls_gts_ignore))
            tpfp = pool.map(fn, items) if pool is not None else [fn(it) for it in items]
            tp, fp = zip(*tpfp)
            num_gts = np.zeros(num_scales, dtype=int)
            for gts in cls_gts:
                areas = _areas(gts, extra)
                for k, rg in enumerate(area_ranges or [(None, None)]):
                    num_gts[k] += int(_in_range(areas, rg).sum())
            dets = np.vstack(cls_dets)
            order = np.argsort(-dets[:, -1])
            tp = np.cumsum(np.hstack(tp)[:, order], axis=1)
            fp = np.cumsum(np.hstack(fp)[:, order], axis=1)
            eps = np.finfo(np.float32).eps
            recalls = tp / np.maximum(num_gts[:, None], eps)
            precisions = tp / np.maximum(tp + fp, eps)
            if scale_ranges is None:
                recalls, precisions, num_gts = recalls[0], precisions[0], int(num_gts[0])
            mode = '11points' if dataset == 'voc07' else 'area'
            eval_results.append(dict(num_gts=num_gts, num_dets=dets.shape[0], recall=recalls,
                                     precision=precisions,
                                     ap=average_precision(recalls, precisions, mode)))
    finally:
        if pool is not None:
            pool.close()
    if scale_ranges is not None:
        all_ap = np.vstack([r['ap'] for r in eval_results])
        all_gts = np.vstack([r['num_gts'] for r in eval_results])
        mean_ap: Union[float, list] = [
            float(all_ap[all_gts[:, i] > 0, i].mean()) if (all_gts[:, i] > 0).any() else 0.0
            for i in range(num_scales)]
    else:
        aps = [r['ap'] for r in eval_results if r['num_gts'] > 0]
        mean_ap = float(np.mean(aps)) if aps else 0.0
    print_map_summary(mean_ap, eval_results, dataset, area_ranges, logger=logger)
    return mean_ap, eval_results


def _call_tpfp(fn: Callable, kwargs: dict, item: tuple) -> tuple:
    dets, gts, ignore = item
    return fn(dets, gts, ignore, **kwargs)


def print_map_summary(mean_ap, results: list, dataset=None, scale_ranges=None,
                      logger=None) -> None:
    """Print a table of gts / dets / recall / AP per class and the mAP (per scale range)."""
    if logger == 'silent':
        return
    num_scales = len(results[0]['ap']) if isinstance(results[0]['ap'], np.ndarray) \
        and results[0]['ap'].ndim else 1
    if scale_ranges is not None and len(scale_ranges) != num_scales:
        raise ValueError(f'{len(scale_ranges)} scale ranges for {num_scales} scales')
    num_classes = len(results)
    recalls = np.zeros((num_scales, num_classes), dtype=np.float32)
    aps = np.zeros((num_scales, num_classes), dtype=np.float32)
    num_gts = np.zeros((num_scales, num_classes), dtype=int)
    for i, r in enumerate(results):
        rec = np.atleast_2d(r['recall'])
        if rec.size > 0:
            recalls[:, i] = rec[:, -1]
        aps[:, i] = r['ap']
        num_gts[:, i] = r['num_gts']
    if dataset is None:
        label_names = [str(i) for i in range(num_classes)]
    elif isinstance(dataset, str):
        label_names = get_classes(dataset)
    else:
        label_names = list(dataset)
    if not isinstance(mean_ap, list):
        mean_ap = [mean_ap]
    header = ['class', 'gts', 'dets', 'recall', 'ap']
    for i in range(num_scales):
        if scale_ranges is not None:
            print_log(f'Scale range {scale_ranges[i]}', logger=logger)
        rows = [header]
        for j in range(num_classes):
            rows.append([label_names[j], num_gts[i, j], results[j]['num_dets'],
                         f'{recalls[i, j]:.3f}', f'{aps[i, j]:.3f}'])
        rows.append(['mAP', '', '', '', f'{mean_ap[i]:.3f}'])
        table = AsciiTable(rows)
        table.inner_footing_row_border = True
        print_log('\n' + table.table, logger=logger)
