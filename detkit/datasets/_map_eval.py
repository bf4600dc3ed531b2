"""mAP / recall evaluation shared by CustomDataset and VOCDataset."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from detkit.evaluation import eval_map, eval_recalls, print_map_summary
from detkit.utils.logging import print_log
from detkit.utils.suggest import did_you_mean


def evaluate_map_or_recall(ds, results: list, metric, logger, proposal_nums, iou_thr,
                            scale_ranges, map_dataset, use_legacy_coordinate: bool):
    """Shared by CustomDataset and VOCDataset: mAP over IoU thresholds, or recall.

    ``map_dataset`` is what ``eval_map`` gets as ``dataset`` ('voc07' selects
    11-point AP); the printed table always names ``ds.CLASSES``.
    """
    if not isinstance(metric, str):
        if len(metric) != 1:
            raise KeyError(f'{type(ds).__name__}.evaluate takes one metric, but got {metric}')
        metric = metric[0]
    if metric not in ('mAP', 'recall'):
        raise KeyError(f'metric {metric!r} is not supported'
                       f'{did_you_mean(metric, ["mAP", "recall"])}; use mAP or recall')
    annotations = [ds.get_ann_info(i) for i in range(len(ds))]
    eval_results: OrderedDict[str, Any] = OrderedDict()
    iou_thrs = [iou_thr] if isinstance(iou_thr, float) else list(iou_thr)
    if metric == 'mAP':
        area_ranges = ([(r[0] ** 2, r[1] ** 2) for r in scale_ranges]
                       if scale_ranges is not None else None)
        mean_aps = []
        for thr in iou_thrs:
            print_log(f'\n{"-" * 15}iou_thr: {thr}{"-" * 15}', logger=logger)
            mean_ap, per_class = eval_map(results, annotations, scale_ranges=scale_ranges,
                                          iou_thr=thr, dataset=map_dataset, logger='silent',
                                          use_legacy_coordinate=use_legacy_coordinate)
            print_map_summary(mean_ap, per_class, ds.CLASSES, area_ranges, logger=logger)
            mean_aps.append(mean_ap)
            eval_results[f'AP{int(thr * 100):02d}'] = (
                round(mean_ap, 3) if not isinstance(mean_ap, list) else mean_ap)
        if scale_ranges is None:
            eval_results['mAP'] = sum(mean_aps) / len(mean_aps)
    else:
        gt_bboxes = [ann['bboxes'] for ann in annotations]
        recalls = eval_recalls(gt_bboxes, results, proposal_nums, iou_thrs, logger=logger,
                               use_legacy_coordinate=use_legacy_coordinate)
        for i, num in enumerate(proposal_nums):
            for j, iou in enumerate(iou_thrs):
                eval_results[f'recall@{num}@{iou}'] = recalls[i, j]
        if recalls.shape[1] > 1:
            ar = recalls.mean(axis=1)
            for i, num in enumerate(proposal_nums):
                eval_results[f'AR@{num}'] = ar[i]
    return eval_results
