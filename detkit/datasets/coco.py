"""CocoDataset: COCO-format instance annotations, COCO metrics through pycocotools."""
from __future__ import annotations

import contextlib
import io
import os.path as osp
from collections import OrderedDict, defaultdict
from numbers import Number
from typing import Any, Optional, Sequence, Union

import numpy as np

from detkit.evaluation import coco_classes
from detkit.registry import DATASETS
from detkit.utils.logging import get_root_logger, print_log
from detkit.utils.suggest import did_you_mean

from . import _coco_eval
from .custom import CustomDataset


def _segmentation_problem(seg: Any, h: int, w: int) -> Optional[str]:
    """Why ``seg`` is not a usable COCO segmentation, or None if it is."""
    if isinstance(seg, list):
        if not seg:
            return 'an empty polygon list'
        for p in seg:
            if not isinstance(p, (list, tuple)) or not all(isinstance(v, Number) for v in p):
                return 'a polygon that is not a list of numbers'
            if len(p) < 6 or len(p) % 2:
                return f'a polygon of {len(p)} coordinates (needs an even number >= 6)'
        return None
    if isinstance(seg, dict):
        if 'counts' not in seg or 'size' not in seg:
            return f'an RLE without counts/size (keys {sorted(seg)})'
        if list(seg['size']) != [h, w]:
            return f'an RLE of size {list(seg["size"])} on a {h}x{w} image'
        return None
    return f'a {type(seg).__name__} (expected a polygon list or an RLE dict)'


@DATASETS.register_module()
class CocoDataset(CustomDataset):
    """COCO instances JSON: boxes, labels, crowd regions and masks.

    Labels follow the order of the JSON's ``categories`` restricted to
    ``CLASSES`` (as MMDetection: ``cat_ids``, ``cat2label``). Crowd boxes go to
    ``bboxes_ignore``; ``ann['masks']`` holds each kept box's segmentation
    (polygons or RLE). Annotations that cannot be used are skipped and counted
    (see :class:`CustomDataset`): w or h <= 0 or < 1 px, outside the image,
    area <= 0, a category id missing from ``categories``, a malformed
    segmentation or bbox. With ``filter_empty_gt`` train images without any
    usable annotation of ``CLASSES`` (crowd ones count) are left out.

    The pycocotools ``COCO`` object (``self.coco``) is loaded on first use (by
    ``evaluate``), so dataloader workers never hold it.
    """

    CLASSES = tuple(c.replace('_', ' ') for c in coco_classes())
    PALETTE = None

    # -- loading ------------------------------------------------------------------------------
    def load_annotations(self, ann_file: str) -> list[dict]:
        """Parse ``ann_file`` into records with their annotations (see class doc)."""
        from ._io import load_file
        data = load_file(ann_file)
        src = osp.basename(ann_file)
        if not isinstance(data, dict):
            raise ValueError(f'{ann_file} must hold a COCO dict, but holds a {type(data).__name__}')
        for key in ('images', 'categories'):
            if key not in data:
                raise KeyError(f'{ann_file} has no {key!r} list; keys: {sorted(data)}')
        anns = data.get('annotations', [])
        cats = data['categories']
        names = [c['name'] for c in cats]
        missing = [c for c in self.CLASSES if c not in names]
        if missing:
            raise ValueError(
                f'{type(self).__name__}: class {missing[0]!r}'
                f'{did_you_mean(missing[0], names)} is not a category of {ann_file}; '
                f'categories: {", ".join(names)}')
        # MMDetection's getCatIds(catNms=CLASSES): the JSON's order, not CLASSES'
        self.cat_ids = [c['id'] for c in cats if c['name'] in self.CLASSES]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        json_order = [c['name'] for c in cats if c['name'] in self.CLASSES]
        if json_order != list(self.CLASSES):
            print_log(f'{type(self).__name__}: the categories of {ann_file} are ordered '
                      f'{json_order}, unlike classes {list(self.CLASSES)}; labels follow the '
                      'file (as in MMDetection)', logger=get_root_logger(), level=30)
        known_cats = {c['id'] for c in cats}
        ann_ids = [a.get('id') for a in anns]
        if len(set(ann_ids)) != len(ann_ids):
            seen: set = set()
            dup = next(i for i in ann_ids if i in seen or seen.add(i))
            raise ValueError(f"Annotation ids in '{ann_file}' are not unique! (id {dup!r})")

        by_img: dict = defaultdict(list)
        for a in anns:
            by_img[a.get('image_id')].append(a)
        records, img_ids = [], []
        report = self.load_report
        img_id_set = set()
        for img in data['images']:
            need = [k for k in ('id', 'file_name', 'width', 'height') if k not in img]
            if need:
                report.skip('image records without id/file_name/width/height',
                            f'e.g. {img!r:.80} in {src} lacks {", ".join(need)}')
                continue
            img_id_set.add(img['id'])
            rec = dict(img)
            rec['filename'] = img['file_name']
            img_anns = by_img.get(img['id'], [])
            rec['ann'] = self._parse_ann_info(rec, img_anns, known_cats, src)
            rec['ann_category_ids'] = [a.get('category_id') for a in img_anns]
            records.append(rec)
            img_ids.append(img['id'])
        for image_id, lst in by_img.items():
            if image_id not in img_id_set:
                for a in lst:
                    report.skip('annotations of an unknown image id',
                                f'e.g. image_id {image_id!r} of ann id {a.get("id")} in {src}')
        report.total = len(data['images'])
        self.img_ids = img_ids
        return records

    def _parse_ann_info(self, img_info: dict, ann_info: list, known_cats: set,
                        src: str) -> dict:
        """Boxes, labels, crowd boxes and masks of one image; counts what it skips."""
        boxes, labels, ignore, masks = [], [], [], []
        h, w = img_info['height'], img_info['width']
        skip = self.load_report.skip
        for ann in ann_info:
            if ann.get('ignore', False):
                continue
            where = f'e.g. ann id {ann.get("id")} in {src}'
            bbox = ann.get('bbox')
            if (not isinstance(bbox, (list, tuple)) or len(bbox) != 4
                    or not all(isinstance(v, Number) for v in bbox)):
                skip('malformed bbox', f'{where}: {bbox!r:.60}')
                continue
            x1, y1, bw, bh = bbox
            if not (bw > 0 and bh > 0):
                skip('bbox w/h ≤ 0', where)
                continue
            if bw < 1 or bh < 1:
                skip('bbox w/h < 1 px', where)
                continue
            inter_w = max(0, min(x1 + bw, w) - max(x1, 0))
            inter_h = max(0, min(y1 + bh, h) - max(y1, 0))
            if inter_w * inter_h == 0:
                skip('bbox outside the image', where)
                continue
            if ann.get('area', 1) <= 0:
                skip('area ≤ 0', where)
                continue
            cat = ann.get('category_id')
            if cat not in known_cats:
                skip('unknown category id', f'category_id {cat!r} of ann id {ann.get("id")} '
                     f'in {src}; categories: {sorted(known_cats)}')
                continue
            if cat not in self.cat2label:
                continue  # a category outside CLASSES: not ours to train on
            seg = ann.get('segmentation', None)
            if seg is not None:
                problem = _segmentation_problem(seg, h, w)
                if problem is not None:
                    skip('malformed segmentation', f'{where}: {problem}')
                    continue
            box = [x1, y1, x1 + bw, y1 + bh]
            if ann.get('iscrowd', False):
                ignore.append(box)
            else:
                boxes.append(box)
                labels.append(self.cat2label[cat])
                masks.append(seg)
        return dict(
            bboxes=np.array(boxes, dtype=np.float32).reshape(-1, 4),
            labels=np.array(labels, dtype=np.int64),
            bboxes_ignore=np.array(ignore, dtype=np.float32).reshape(-1, 4),
            masks=masks,
            seg_map=img_info['filename'].replace('jpg', 'png'))

    def _select(self, keep: Sequence[int]) -> None:
        super()._select(keep)
        self.img_ids = [self.img_ids[i] for i in keep]

    def _filter_imgs(self, min_size: int = 32) -> list[int]:
        """Indices of train images with ground truth (if ``filter_empty_gt``) and big enough."""
        empty = np.array([len(r['ann']['bboxes']) + len(r['ann']['bboxes_ignore']) == 0
                          for r in self.data_infos], dtype=bool)
        small = self._sizes.min(1) < min_size if len(self) else np.zeros(0, bool)
        if self.filter_empty_gt:
            self.load_report.drop('without annotations', int(empty.sum()))
        else:
            empty[:] = False
        self.load_report.drop(f'smaller than {min_size} px', int((small & ~empty).sum()))
        return np.flatnonzero(~empty & ~small).tolist()

    def get_ann_info(self, idx: int) -> dict:
        """``bboxes`` (n, 4), ``labels`` (n,), ``bboxes_ignore`` (k, 4), ``masks``, ``seg_map``."""
        return self.data_infos[idx]['ann']

    def get_cat_ids(self, idx: int) -> list:
        """Category ids (COCO ids, not labels) of all annotations of image ``idx``."""
        return self.data_infos[idx]['ann_category_ids']

    def get_cat2imgs(self) -> dict:
        """{label: [image indices holding it]} (labels, unlike :meth:`get_cat_ids`)."""
        cat2imgs: dict = {i: [] for i in range(len(self.CLASSES))}
        for i in range(len(self)):
            for lab in set(self.get_ann_info(i)['labels'].tolist()):
                cat2imgs[lab].append(i)
        return cat2imgs

    # -- the pycocotools index, loaded when evaluation needs it -------------------------------
    @property
    def coco(self):
        if getattr(self, '_coco', None) is None:
            from pycocotools.coco import COCO
            with contextlib.redirect_stdout(io.StringIO()):  # its "loading..." chatter
                self._coco = COCO(self.ann_file)
        return self._coco

    @coco.setter
    def coco(self, value) -> None:
        self._coco = value

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_coco'] = None  # workers and pickles rebuild it if they ever need it
        return state

    # -- results ------------------------------------------------------------------------------
    def xyxy2xywh(self, bbox: np.ndarray) -> list:
        """(x1, y1, x2, y2) -> [x, y, w, h] as a Python list."""
        b = bbox.tolist()
        return [b[0], b[1], b[2] - b[0], b[3] - b[1]]

    def results2json(self, results: list, outfile_prefix: str) -> dict:
        """Write results as COCO JSON; see :func:`detkit.datasets._coco_eval.results2json`."""
        return _coco_eval.results2json(self, results, outfile_prefix)

    def format_results(self, results: list, jsonfile_prefix: Optional[str] = None,
                       **kwargs) -> tuple:
        """Results -> COCO JSON files. Returns (result_files, tmp_dir or None)."""
        if not isinstance(results, list):
            raise TypeError(f'results must be a list, but got {type(results).__name__}')
        if len(results) != len(self):
            raise ValueError(f'The length of results is not equal to the dataset len: '
                             f'{len(results)} != {len(self)}')
        tmp_dir = None
        if jsonfile_prefix is None:
            import tempfile
            tmp_dir = tempfile.TemporaryDirectory()
            jsonfile_prefix = osp.join(tmp_dir.name, 'results')
        return self.results2json(results, jsonfile_prefix), tmp_dir

    def fast_eval_recall(self, results: list, proposal_nums: Sequence[int],
                         iou_thrs, logger=None) -> np.ndarray:
        """Average recall of proposals over ``iou_thrs``, per proposal number."""
        return _coco_eval.fast_eval_recall(self, results, proposal_nums, iou_thrs, logger)

    def evaluate(self, results: list, metric: Union[str, list] = 'bbox', logger=None,
                 jsonfile_prefix: Optional[str] = None, classwise: bool = False,
                 proposal_nums: Sequence[int] = (100, 300, 1000), iou_thrs=None,
                 metric_items: Union[str, list, None] = None) -> OrderedDict[str, Any]:
        """COCO metrics of ``results`` through pycocotools ``COCOeval``.

        Args:
            results (list): per image, per class (n, 5) arrays ('bbox'); tuples
                (bbox results, per-class mask RLEs / bool masks) for 'segm'; (n, 5)
                proposal arrays for 'proposal' / 'proposal_fast'.
            metric (str | list[str]): 'bbox', 'segm', 'proposal', 'proposal_fast'.
            jsonfile_prefix (str, optional): keep the result JSON files there.
            classwise (bool): print a per-class AP table.
            proposal_nums (Sequence[int]): ``COCOeval.params.maxDets`` (for every
                metric, as MMDetection).
            iou_thrs (Sequence[float], optional): default 0.5:0.05:0.95.
            metric_items (str | list[str], optional): among 'mAP', 'mAP_50',
                'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100', 'AR@300', 'AR@1000',
                'AR_s@1000', 'AR_m@1000', 'AR_l@1000'.

        Returns:
            OrderedDict: e.g. 'bbox_mAP', ..., 'bbox_mAP_l', 'bbox_mAP_copypaste'.
        """
        metrics = metric if isinstance(metric, list) else [metric]
        allowed = ['bbox', 'segm', 'proposal', 'proposal_fast']
        for m in metrics:
            if m not in allowed:
                raise KeyError(f'metric {m!r} is not supported{did_you_mean(m, allowed)}; '
                               f'supported: {", ".join(allowed)}')
        result_files, tmp_dir = self.format_results(results, jsonfile_prefix)
        try:
            return _coco_eval.evaluate_det_segm(
                self, results, result_files, self.coco, metrics, logger, classwise,
                proposal_nums, iou_thrs, metric_items)
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()

