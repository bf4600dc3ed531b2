"""CustomDataset: the middle-format dataset every detection dataset builds on."""
from __future__ import annotations

import logging
import os
import os.path as osp
from collections import OrderedDict
from typing import Any, Optional, Sequence, Union

import numpy as np
from terminaltables import AsciiTable
from torch.utils.data import Dataset

from detkit.registry import DATASETS
from detkit.utils.logging import get_root_logger, print_log

from ._io import list_from_file, load_file
from ._map_eval import evaluate_map_or_recall
from ._report import LoadReport
from ._serialize import SerializedList
from .pipelines.compose import Compose

#: consecutive pipeline drops after which a train sample is given up as a config error
_MAX_RETRIES = 50


def _is_unreadable_image_error(e: BaseException) -> bool:
    """Errors of the loading transforms for a missing or undecodable image file."""
    return isinstance(e, OSError) or (isinstance(e, ValueError) and str(e).startswith('Load'))


@DATASETS.register_module()
class CustomDataset(Dataset):
    """A dataset of records in the middle format (manual chapter 8).

    The annotation file (.pkl / .json / .yaml) holds a list of records::

        {'filename': 'a.jpg', 'width': 1280, 'height': 720,
         'ann': {'bboxes': (n, 4) float32 x1y1x2y2, 'labels': (n,) int64,
                 'bboxes_ignore': (k, 4) (optional), 'labels_ignore': (k,) (optional)}}

    Records are checked when the dataset is built: boxes with w or h <= 0 and
    records whose image file is missing (one directory listing per folder) are
    skipped, and one summary line per dataset counts what was used, filtered and
    skipped, with an example of each reason (``self.load_report``). An image that
    cannot be decoded is found when it is loaded: a train sample is then replaced
    by another of its group, counted and named in a warning; in test mode it is
    an error. Records are kept serialised (:class:`SerializedList`), so reading
    ``self.data_infos[i]`` returns a copy.

    Args:
        ann_file (str): annotation file.
        pipeline (list[dict]): transforms (configs or callables).
        classes (str | Sequence[str], optional): class names, or a text file
            with one per line; default ``CLASSES``.
        data_root (str, optional): joined to relative ``ann_file``,
            ``img_prefix``, ``seg_prefix`` and ``proposal_file``.
        img_prefix (str): folder of the images.
        seg_prefix (str, optional): folder of semantic segmentation maps.
        seg_suffix (str): their file suffix.
        proposal_file (str, optional): precomputed proposals, one (n, 4/5)
            array per record, in record order.
        test_mode (bool): no filtering; ``__getitem__`` gives test samples.
        filter_empty_gt (bool): drop train images without ground truth (used by
            subclasses; the middle format has no class names to filter by).
        file_client_args (dict): only ``dict(backend='disk')``.
    """

    CLASSES: Optional[Sequence[str]] = None
    PALETTE: Optional[list] = None

    def __init__(self, ann_file: str, pipeline: Sequence, classes=None,
                 data_root: Optional[str] = None, img_prefix: str = '',
                 seg_prefix: Optional[str] = None, seg_suffix: str = '.png',
                 proposal_file: Optional[str] = None, test_mode: bool = False,
                 filter_empty_gt: bool = True, file_client_args: Optional[dict] = None):
        self.ann_file = ann_file
        self.data_root = data_root
        self.img_prefix = img_prefix
        self.seg_prefix = seg_prefix
        self.seg_suffix = seg_suffix
        self.proposal_file = proposal_file
        self.test_mode = test_mode
        self.filter_empty_gt = filter_empty_gt
        self.file_client_args = dict(file_client_args or dict(backend='disk'))
        if self.file_client_args.get('backend', 'disk') != 'disk':
            raise ValueError(f'{type(self).__name__}: file_client_args backend '
                             f'{self.file_client_args["backend"]!r} is not supported; '
                             "detkit reads local files only (dict(backend='disk'))")
        self.CLASSES = self.get_classes(classes)
        if self.data_root is not None:
            if not osp.isabs(self.ann_file):
                self.ann_file = osp.join(self.data_root, self.ann_file)
            if not (self.img_prefix is None or osp.isabs(self.img_prefix)):
                self.img_prefix = osp.join(self.data_root, self.img_prefix)
            if not (self.seg_prefix is None or osp.isabs(self.seg_prefix)):
                self.seg_prefix = osp.join(self.data_root, self.seg_prefix)
            if not (self.proposal_file is None or osp.isabs(self.proposal_file)):
                self.proposal_file = osp.join(self.data_root, self.proposal_file)

        self.load_report = LoadReport(osp.basename(self.ann_file))
        self.data_infos = self.load_annotations(self.ann_file)
        self.load_report.total = self.load_report.total or len(self)
        self.proposals = None
        if self.proposal_file is not None:
            self.proposals = SerializedList(self.load_proposals(self.proposal_file))
            if len(self.proposals) != len(self):
                raise ValueError(f'{self.proposal_file} holds {len(self.proposals)} proposal '
                                 f'arrays for {len(self)} images of {self.ann_file}')
        self._select(self._existing_images())
        if not self.test_mode:
            self._select(self._filter_imgs())
        self.load_report.used = len(self)
        if len(self) == 0:
            raise ValueError(f'{type(self).__name__} has no usable image: '
                             f'{self.load_report.summary()}')
        print_log(self.load_report.summary(), logger=get_root_logger())
        if not self.test_mode:
            self._set_group_flag()
        self.pipeline = Compose(pipeline)
        self._unreadable: dict[str, int] = {}
        self._bad_indices: set[int] = set()

    # -- records ------------------------------------------------------------------------------
    @property
    def data_infos(self) -> SerializedList:
        return self._data_infos

    @data_infos.setter
    def data_infos(self, infos: Sequence[dict]) -> None:
        self._data_infos = infos if isinstance(infos, SerializedList) else SerializedList(infos)
        sizes = []
        for i, r in enumerate(self._data_infos):
            if not isinstance(r, dict) or 'width' not in r or 'height' not in r:
                keys = sorted(r) if isinstance(r, dict) else type(r).__name__
                raise KeyError(f'{type(self).__name__}: record {i} has no width/height '
                               f'(it has {keys}); every record needs filename, width and '
                               f'height (the middle format)')
            sizes.append((r['width'], r['height']))
        self._sizes = np.array(sizes, dtype=np.int64).reshape(-1, 2)

    def _select(self, keep: Sequence[int]) -> None:
        """Keep only records ``keep`` (and their proposals); subclasses subset their ids."""
        keep = np.asarray(keep, dtype=np.int64)
        self._data_infos = self._data_infos.take(keep)
        self._sizes = self._sizes[keep]
        if self.proposals is not None:
            self.proposals = self.proposals.take(keep)

    def __len__(self) -> int:
        return len(self._data_infos)

    def load_annotations(self, ann_file: str) -> list[dict]:
        """Load middle-format records, as numpy arrays, skipping unusable boxes."""
        records = load_file(ann_file)
        if not isinstance(records, list):
            raise ValueError(f'{ann_file} must hold a list of records, '
                             f'but holds a {type(records).__name__}')
        out = []
        for i, rec in enumerate(records):
            missing = [k for k in ('filename', 'width', 'height') if k not in rec]
            if missing:
                self.load_report.skip('records without filename/width/height',
                                      f'record {i} lacks {", ".join(missing)}')
                continue
            out.append(self._clean_middle_record(rec, i))
        self.load_report.total = len(records)
        return out

    def _clean_middle_record(self, rec: dict, i: int) -> dict:
        rec = dict(rec)
        ann = dict(rec.get('ann', {}))
        for key, lkey in (('bboxes', 'labels'), ('bboxes_ignore', 'labels_ignore')):
            if key not in ann and key == 'bboxes_ignore':
                continue
            boxes = np.asarray(ann.get(key, np.zeros((0, 4))), dtype=np.float32).reshape(-1, 4)
            bad = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
            for j in np.flatnonzero(bad):
                self.load_report.skip('bbox w/h ≤ 0', f'e.g. {key}[{j}] of '
                                      f'{rec["filename"]!r} in {osp.basename(self.ann_file)}')
            ann[key] = boxes[~bad]
            if lkey in ann or key == 'bboxes':
                labels = np.asarray(ann.get(lkey, np.zeros(0)), dtype=np.int64).reshape(-1)
                if len(labels) != len(boxes):
                    raise ValueError(f'record {i} ({rec["filename"]!r}) of {self.ann_file} has '
                                     f'{len(boxes)} {key} but {len(labels)} {lkey}')
                ann[lkey] = labels[~bad]
        rec['ann'] = ann
        return rec

    def load_proposals(self, proposal_file: str) -> list:
        return load_file(proposal_file, 'proposal file')

    def _existing_images(self) -> list[int]:
        """Indices of records whose image file exists (one listing per folder)."""
        listed: dict[str, Optional[set]] = {}
        keep = []
        for i, info in enumerate(self._data_infos):
            path = (osp.join(self.img_prefix, info['filename']) if self.img_prefix
                    else info['filename'])
            folder, name = osp.split(path)
            if folder not in listed:
                try:
                    listed[folder] = set(os.listdir(folder or '.'))
                except FileNotFoundError:
                    listed[folder] = set()
                except OSError:  # unlistable: fall back to one stat per file
                    listed[folder] = None
            names = listed[folder]
            exists = osp.exists(path) if names is None else name in names
            if exists:
                keep.append(i)
            else:
                self.load_report.skip('missing image file', path)
        return keep

    def get_ann_info(self, idx: int) -> dict:
        """Annotation of image ``idx``: ``bboxes`` (n, 4) float32, ``labels`` (n,) int64, ..."""
        return self._data_infos[idx]['ann']

    def get_cat_ids(self, idx: int) -> list[int]:
        """Labels of the objects in image ``idx``."""
        return self._data_infos[idx]['ann']['labels'].astype(np.int64).tolist()

    def pre_pipeline(self, results: dict) -> None:
        """Add the keys every pipeline expects to ``results``."""
        results['img_prefix'] = self.img_prefix
        results['seg_prefix'] = self.seg_prefix
        results['proposal_file'] = self.proposal_file
        results['bbox_fields'] = []
        results['mask_fields'] = []
        results['seg_fields'] = []

    def _filter_imgs(self, min_size: int = 32) -> list[int]:
        """Indices of images at least ``min_size`` on their shorter side."""
        small = self._sizes.min(1) < min_size if len(self._sizes) else np.zeros(0, bool)
        self.load_report.drop(f'smaller than {min_size} px', int(small.sum()))
        return np.flatnonzero(~small).tolist()

    def _set_group_flag(self) -> None:
        """Aspect-ratio groups for the samplers: 1 where width / height > 1, else 0."""
        self.flag = (self._sizes[:, 0] / self._sizes[:, 1] > 1).astype(np.uint8)

    # -- samples ------------------------------------------------------------------------------
    def _rand_another(self, idx: int) -> int:
        """Another index of ``idx``'s group, avoiding images known to be unreadable."""
        ok = self.flag == self.flag[idx]
        if self._bad_indices:
            ok[list(self._bad_indices)] = False
            if not ok.any():  # the group has no readable image left: take any readable one
                ok = np.ones(len(self), bool)
                ok[list(self._bad_indices)] = False
            if not ok.any():
                raise RuntimeError(f'{type(self).__name__} ({self.ann_file}): no readable '
                                   f'image left; unreadable: {sorted(self._unreadable)[:5]}')
        return int(np.random.choice(np.flatnonzero(ok)))

    def __getitem__(self, idx: int) -> Any:
        if self.test_mode:
            return self.prepare_test_img(idx)
        for _ in range(_MAX_RETRIES):
            try:
                data = self.prepare_train_img(idx)
            except Exception as e:
                if not _is_unreadable_image_error(e):
                    raise
                self._note_unreadable(idx, e)
                data = None
            if data is not None:
                return data
            idx = self._rand_another(idx)
        raise RuntimeError(
            f'{type(self).__name__} ({self.ann_file}): the pipeline dropped {_MAX_RETRIES} '
            f'samples in a row (last index {idx}); check the transforms that return None '
            f'(e.g. crops that remove every box) and the images they read')

    def _note_unreadable(self, idx: int, e: BaseException) -> None:
        name = self._data_infos[idx]['filename']
        self._bad_indices.add(idx)
        self._unreadable[name] = self._unreadable.get(name, 0) + 1
        if self._unreadable[name] == 1:
            print_log(f'{type(self).__name__}: skipping unreadable image {name!r} '
                      f'({type(e).__name__}: {e}); using another sample '
                      f'({len(self._unreadable)} unreadable image(s) so far in this process)',
                      logger=get_root_logger(), level=logging.WARNING)

    @property
    def unreadable_images(self) -> dict:
        """{filename: times met} of images that failed to load in this process."""
        return dict(self._unreadable)

    def prepare_train_img(self, idx: int) -> Optional[dict]:
        """The pipeline's output for train sample ``idx`` (None when it drops the sample)."""
        img_info = self._data_infos[idx]
        results = dict(img_info=img_info, ann_info=img_info['ann'])
        if self.proposals is not None:
            results['proposals'] = self.proposals[idx]
        self.pre_pipeline(results)
        return self.pipeline(results)

    def prepare_test_img(self, idx: int) -> Optional[dict]:
        """The pipeline's output for test sample ``idx`` (no annotations)."""
        results = dict(img_info=self._data_infos[idx])
        if self.proposals is not None:
            results['proposals'] = self.proposals[idx]
        self.pre_pipeline(results)
        return self.pipeline(results)

    # -- classes ------------------------------------------------------------------------------
    @classmethod
    def get_classes(cls, classes: Union[str, Sequence[str], None] = None):
        """Class names: ``CLASSES`` when None, a tuple/list as given, or a file's lines."""
        if classes is None:
            return cls.CLASSES
        if isinstance(classes, str):
            if not osp.isfile(classes):
                raise FileNotFoundError(
                    f'{cls.__name__}: classes={classes!r} is read as a file of class names '
                    f"(one per line), but there is no such file; for one class write "
                    f"classes=({classes!r},)")
            return list_from_file(classes, 'classes file')
        if isinstance(classes, (tuple, list)):
            return classes
        raise ValueError(f'{cls.__name__}: unsupported type {type(classes).__name__} of '
                         'classes; give a tuple or list of names, or a file path')

    def get_cat2imgs(self) -> dict:
        """{label: [image indices holding it]}."""
        if self.CLASSES is None:
            raise ValueError(f'{type(self).__name__}.CLASSES can not be None')
        cat2imgs: dict = {i: [] for i in range(len(self.CLASSES))}
        for i in range(len(self)):
            for cat in set(self.get_cat_ids(i)):
                cat2imgs[cat].append(i)
        return cat2imgs

    # -- evaluation ---------------------------------------------------------------------------
    def format_results(self, results: list, **kwargs) -> None:
        """Nothing to format for the middle format."""

    def evaluate(self, results: list, metric: Union[str, list] = 'mAP', logger=None,
                 proposal_nums: Sequence[int] = (100, 300, 1000),
                 iou_thr: Union[float, list] = 0.5,
                 scale_ranges: Optional[list] = None) -> OrderedDict[str, float]:
        """VOC-style mAP (``'mAP'``) or proposal recall (``'recall'``).

        Args:
            results (list): per image, per class (n, 5) arrays ('mAP') or per image
                (n, 4/5) proposals ('recall').
            metric (str | list[str]): 'mAP' or 'recall'.
            iou_thr (float | list[float]): IoU threshold(s).
            scale_ranges (list[tuple], optional): area ranges for mAP.

        Returns:
            OrderedDict: 'AP50', ..., 'mAP' or 'recall@{num}@{iou}' (and 'AR@{num}').
        """
        return evaluate_map_or_recall(self, results, metric, logger, proposal_nums, iou_thr,
                                       scale_ranges, self.CLASSES, use_legacy_coordinate=False)

    def __repr__(self) -> str:
        """Image count and a table of instance counts per class (background = no object)."""
        kind = 'Test' if self.test_mode else 'Train'
        out = (f'\n{type(self).__name__} {kind} dataset with number of images {len(self)}, '
               'and instance counts: \n')
        if self.CLASSES is None:
            return out + 'Category names are not provided. \n'
        num = len(self.CLASSES)
        counts = np.zeros(num + 1, dtype=int)
        for i in range(len(self)):
            labels = np.asarray(self.get_ann_info(i)['labels'], dtype=np.int64)
            if labels.size:
                counts[:-1] += np.bincount(labels, minlength=num)[:num]
            else:
                counts[-1] += 1
        cells = [f'{i} [{c}]' for i, c in enumerate(self.CLASSES)] + ['-1 background']
        flat = [x for k in range(len(cells)) for x in (cells[k], f'{counts[k]}')]
        if flat[-1] == '0':  # no background image: leave the column out
            flat = flat[:-2]
        rows = [['category', 'count'] * 5] + [flat[s:s + 10] for s in range(0, len(flat), 10)]
        return out + AsciiTable(rows).table
