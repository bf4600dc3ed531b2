"""VOCDataset: PASCAL VOC 2007 / 2012 with VOC mAP (11-point for 2007, area for 2012)."""
from __future__ import annotations

import os.path as osp
from collections import OrderedDict
from typing import Any, Optional, Sequence, Union

from detkit.evaluation import voc_classes
from detkit.registry import DATASETS

from ._map_eval import evaluate_map_or_recall
from .xml_style import XMLDataset


@DATASETS.register_module()
class VOCDataset(XMLDataset):
    """PASCAL VOC; the year (from 'VOC2007' / 'VOC2012' in ``img_prefix``) picks the AP.

    Evaluation uses MMDetection 1.x's legacy box widths ``x2 - x1 + 1``, as the
    official VOC devkit does.
    """

    CLASSES = tuple(voc_classes())
    PALETTE = None

    def __init__(self, **kwargs):
        # checked first: it needs no file, and a wrong prefix fails here, not in loading
        prefix = kwargs.get('img_prefix', '') or ''
        if kwargs.get('data_root') and not osp.isabs(prefix):
            prefix = osp.join(kwargs['data_root'], prefix)
        if 'VOC2007' in prefix:
            self.year = 2007
        elif 'VOC2012' in prefix:
            self.year = 2012
        else:
            raise ValueError(f'Cannot infer dataset year from img_prefix {prefix!r}: '
                             "it must contain 'VOC2007' or 'VOC2012'")
        super().__init__(**kwargs)

    def evaluate(self, results: list, metric: Union[str, list] = 'mAP', logger=None,
                 proposal_nums: Sequence[int] = (100, 300, 1000),
                 iou_thr: Union[float, list] = 0.5,
                 scale_ranges: Optional[list] = None) -> OrderedDict[str, Any]:
        """'mAP' (11-point for VOC2007, area for VOC2012) or proposal 'recall'.

        Returns:
            OrderedDict: 'mAP', 'AP50', ... or 'recall@{num}@{iou}' (and 'AR@{num}').
        """
        ds_name = 'voc07' if self.year == 2007 else self.CLASSES
        out = evaluate_map_or_recall(self, results, metric, logger, proposal_nums, iou_thr,
                                      None, ds_name, use_legacy_coordinate=True)
        if 'mAP' in out:
            out.move_to_end('mAP', last=False)
        return out
