"""CocoDataset's result formatting and COCOeval driving, as MMDetection 2.x does it."""
from __future__ import annotations

import contextlib
import io
import itertools
import logging
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
from terminaltables import AsciiTable

from detkit.evaluation import eval_recalls
from detkit.utils.logging import print_log

from ._io import dump_json, load_file

#: COCOeval.stats index of each metric item
COCO_METRIC_NAMES = {
    'mAP': 0, 'mAP_50': 1, 'mAP_75': 2, 'mAP_s': 3, 'mAP_m': 4, 'mAP_l': 5,
    'AR@100': 6, 'AR@300': 7, 'AR@1000': 8, 'AR_s@1000': 9, 'AR_m@1000': 10, 'AR_l@1000': 11,
}


def _xywh(bboxes: np.ndarray) -> list:
    """(n, >=4) x1y1x2y2 -> list of [x, y, w, h] (Python floats)."""
    b = np.asarray(bboxes, dtype=np.float64)[:, :4]
    return np.c_[b[:, :2], b[:, 2:4] - b[:, :2]].tolist()


def _det_entries(img_id: int, cat_id: int, bboxes: np.ndarray, scores=None) -> list:
    scores = bboxes[:, 4] if scores is None else scores
    return [dict(image_id=img_id, bbox=b, score=float(s), category_id=cat_id)
            for b, s in zip(_xywh(bboxes), np.asarray(scores, dtype=np.float64).tolist())]


def _rle(mask_or_rle: Any) -> dict:
    """An RLE dict with str counts, from an RLE or a (H, W) bool mask."""
    if isinstance(mask_or_rle, dict):
        rle = dict(mask_or_rle)
    else:
        from pycocotools import mask as mask_utils
        m = np.asfortranarray(np.asarray(mask_or_rle, dtype=np.uint8))
        rle = mask_utils.encode(m)
    if isinstance(rle['counts'], bytes):
        rle['counts'] = rle['counts'].decode()
    return rle


def results2json(ds, results: list, outfile_prefix: str) -> dict:
    """Dump results to '{prefix}.bbox.json' / '.segm.json' / '.proposal.json'.

    Boxes become [x, y, w, h], labels the dataset's ``cat_ids``; segm entries
    hold ``segmentation`` (RLE, str counts) and ``score`` but no ``bbox``
    (MMDetection writes one and drops it before evaluating). Returns
    {'bbox': path, 'proposal': path, ('segm': path)}.
    """
    files: dict = {}
    first = results[0] if results else []
    if isinstance(first, list):
        dets = [e for i, res in enumerate(results) for lab, b in enumerate(res)
                for e in _det_entries(ds.img_ids[i], ds.cat_ids[lab], b)]
        files['bbox'] = files['proposal'] = f'{outfile_prefix}.bbox.json'
        dump_json(dets, files['bbox'])
    elif isinstance(first, tuple):
        dets, segs = [], []
        for i, (det, seg) in enumerate(results):
            for lab, b in enumerate(det):
                cat = ds.cat_ids[lab]
                dets += _det_entries(ds.img_ids[i], cat, b)
                # some detectors score masks apart from boxes: (masks, mask_scores)
                if isinstance(seg, tuple):
                    masks, mask_scores = seg[0][lab], seg[1][lab]
                else:
                    masks, mask_scores = seg[lab], b[:, 4]
                entries = _det_entries(ds.img_ids[i], cat, b, mask_scores)
                for e, m in zip(entries, masks):
                    # no 'bbox': pycocotools would take its area as the instance area
                    del e['bbox']
                    e['segmentation'] = _rle(m)
                segs += entries
        files['bbox'] = files['proposal'] = f'{outfile_prefix}.bbox.json'
        files['segm'] = f'{outfile_prefix}.segm.json'
        dump_json(dets, files['bbox'])
        dump_json(segs, files['segm'])
    elif isinstance(first, np.ndarray):
        props = [e for i, b in enumerate(results) for e in _det_entries(ds.img_ids[i], 1, b)]
        files['proposal'] = f'{outfile_prefix}.proposal.json'
        dump_json(props, files['proposal'])
    else:
        raise TypeError(f'invalid type of results: {type(first).__name__} (expected per-class '
                        'lists, (bbox, segm) tuples or proposal arrays)')
    return files


def fast_eval_recall(ds, results, proposal_nums, iou_thrs, logger=None) -> np.ndarray:
    """Average recall over IoUs per proposal number, against all non-crowd boxes."""
    coco = ds.coco
    gt_bboxes = []
    for img_id in ds.img_ids:
        boxes = [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                  a['bbox'][1] + a['bbox'][3]]
                 for a in coco.loadAnns(coco.getAnnIds(imgIds=[img_id]))
                 if not a.get('ignore', False) and not a.get('iscrowd', 0)]
        gt_bboxes.append(np.array(boxes, dtype=np.float32).reshape(-1, 4))
    recalls = eval_recalls(gt_bboxes, results, proposal_nums, iou_thrs, logger=logger)
    return recalls.mean(axis=1)


def _classwise_table(ds, coco_eval, logger) -> None:
    precisions = coco_eval.eval['precision']  # (iou, recall, class, area, max dets)
    rows = []
    for idx, cat_id in enumerate(ds.cat_ids):
        p = precisions[:, :, idx, 0, -1]
        p = p[p > -1]
        ap = float(np.mean(p)) if p.size else float('nan')
        rows.append((ds.coco.loadCats(cat_id)[0]['name'], f'{ap:0.3f}'))
    num_columns = min(6, len(rows) * 2)
    flat = list(itertools.chain(*rows))
    table = [['category', 'AP'] * (num_columns // 2)]
    table += list(itertools.zip_longest(*[flat[i::num_columns] for i in range(num_columns)]))
    print_log('\n' + AsciiTable(table).table, logger=logger)


def evaluate_det_segm(ds, results, result_files, coco_gt, metrics, logger=None,
                      classwise=False, proposal_nums=(100, 300, 1000), iou_thrs=None,
                      metric_items=None) -> OrderedDict[str, Any]:
    """Run COCOeval per metric as MMDetection's ``CocoDataset.evaluate_det_segm``."""
    from pycocotools.cocoeval import COCOeval
    if iou_thrs is None:
        iou_thrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
    if metric_items is not None:
        if not isinstance(metric_items, list):
            metric_items = [metric_items]
        for item in metric_items:
            if item not in COCO_METRIC_NAMES:
                raise KeyError(f'metric item {item!r} is not supported; '
                               f'supported: {", ".join(COCO_METRIC_NAMES)}')
    eval_results: OrderedDict[str, Any] = OrderedDict()
    for metric in metrics:
        msg = f'Evaluating {metric}...'
        print_log('\n' + msg if logger is None else msg, logger=logger)
        if metric == 'proposal_fast':
            if isinstance(results[0], tuple):
                raise KeyError('proposal_fast is not supported for instance segmentation result.')
            ar = fast_eval_recall(ds, results, proposal_nums, iou_thrs, logger='silent')
            for i, num in enumerate(proposal_nums):
                eval_results[f'AR@{num}'] = ar[i]
            print_log(''.join(f'\nAR@{num}\t{ar[i]:.4f}' for i, num in enumerate(proposal_nums)),
                      logger=logger)
            continue
        iou_type = 'bbox' if metric == 'proposal' else metric
        if metric not in result_files:
            raise KeyError(f'{metric} is not in results (result files: {sorted(result_files)})')
        predictions = load_file(result_files[metric], 'result file')
        if iou_type == 'segm' and any('bbox' in x for x in predictions):
            # with a 'bbox' key pycocotools takes the box area as the instance area,
            # which moves mask AP_s/m/l (not AP); MMDetection drops it since v2.12
            for x in predictions:
                x.pop('bbox', None)
            warnings.warn('The key "bbox" is deleted for more accurate mask AP of '
                          'small/medium/large instances since v2.12.0. This does not change '
                          'the overall mAP calculation.', UserWarning, stacklevel=2)
        if not predictions:
            print_log('The testing results of the whole dataset is empty.', logger=logger,
                      level=logging.ERROR)
            break
        with contextlib.redirect_stdout(io.StringIO()):
            coco_det = coco_gt.loadRes(predictions)
        coco_eval = COCOeval(coco_gt, coco_det, iou_type)
        coco_eval.params.catIds = ds.cat_ids
        coco_eval.params.imgIds = ds.img_ids
        coco_eval.params.maxDets = list(proposal_nums)
        coco_eval.params.iouThrs = iou_thrs
        if metric == 'proposal':
            coco_eval.params.useCats = 0
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
        print_log('\n' + out.getvalue(), logger=logger)
        if metric == 'proposal':
            items = metric_items or ['AR@100', 'AR@300', 'AR@1000', 'AR_s@1000', 'AR_m@1000',
                                     'AR_l@1000']
            for item in items:
                eval_results[item] = float(f'{coco_eval.stats[COCO_METRIC_NAMES[item]]:.3f}')
            continue
        if classwise:
            _classwise_table(ds, coco_eval, logger)
        items = metric_items or ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']
        for item in items:
            eval_results[f'{metric}_{item}'] = float(
                f'{coco_eval.stats[COCO_METRIC_NAMES[item]]:.3f}')
        ap = coco_eval.stats[:6]
        eval_results[f'{metric}_mAP_copypaste'] = ' '.join(f'{a:.3f}' for a in ap)
    return eval_results
