"""XMLDataset: PASCAL VOC style XML annotations (one file per image)."""
from __future__ import annotations

import os.path as osp
import xml.etree.ElementTree as ET
from typing import Optional

import numpy as np

from detkit.registry import DATASETS

from ._io import list_from_file
from .custom import CustomDataset

_BOX_KEYS = ('xmin', 'ymin', 'xmax', 'ymax')


@DATASETS.register_module()
class XMLDataset(CustomDataset):
    """Images listed in ``ann_file`` (one id per line) with ``{ann_subdir}/{id}.xml``.

    Difficult objects (and, with ``min_size``, smaller ones) go to
    ``bboxes_ignore`` / ``labels_ignore``. Boxes are the XML's 1-based pixel
    indices minus 1. All XML files are parsed once, when the dataset is built:
    an unparsable file, an XML without ``<size>`` whose image cannot be read,
    and objects without a complete ``<bndbox>`` are skipped and counted.

    Args:
        min_size (int, optional): objects with w or h below it are ignored (train only).
        img_subdir (str): image folder under ``img_prefix``.
        ann_subdir (str): XML folder under ``img_prefix``.
    """

    def __init__(self, min_size: Optional[int] = None, img_subdir: str = 'JPEGImages',
                 ann_subdir: str = 'Annotations', **kwargs):
        if not (self.CLASSES or kwargs.get('classes', None)):
            raise ValueError(f'CLASSES in `{type(self).__name__}` can not be None; '
                             'pass classes=(...)')
        self.img_subdir = img_subdir
        self.ann_subdir = ann_subdir
        self.min_size = min_size
        if min_size and kwargs.get('test_mode', False):
            raise ValueError(f'{type(self).__name__}: min_size is for training only '
                             '(test_mode=True)')
        # the labels are needed while parsing, before CustomDataset.__init__ returns
        self.cat2label = {c: i for i, c in enumerate(self.get_classes(kwargs.get('classes')))}
        super().__init__(**kwargs)

    def load_annotations(self, ann_file: str) -> list[dict]:
        """Records of the listed ids, with their parsed annotations."""
        img_ids = list_from_file(ann_file, 'image id list')
        records = []
        for img_id in img_ids:
            rec = self._parse_xml(img_id)
            if rec is not None:
                records.append(rec)
        self.load_report.total = len(img_ids)
        return records

    def _parse_xml(self, img_id: str) -> Optional[dict]:
        filename = osp.join(self.img_subdir, f'{img_id}.jpg')
        rel = osp.join(self.ann_subdir, f'{img_id}.xml')
        xml_path = osp.join(self.img_prefix, rel)
        skip = self.load_report.skip
        try:
            root = ET.parse(xml_path).getroot()
        except FileNotFoundError:
            skip('missing XML file', xml_path)
            return None
        except ET.ParseError as e:
            skip('unparsable XML', f'{xml_path}: {e}')
            return None
        size = root.find('size')
        try:
            width, height = int(size.find('width').text), int(size.find('height').text)
        except (AttributeError, TypeError, ValueError):
            # no usable <size>: read the image header, as MMDetection does
            try:
                from PIL import Image
                with Image.open(osp.join(self.img_prefix, filename)) as img:
                    width, height = img.size
            except OSError:
                skip('XML without <size> and unreadable image', rel)
                return None
        bboxes, labels, bboxes_ignore, labels_ignore, names = [], [], [], [], []
        for k, obj in enumerate(root.findall('object')):
            name_el = obj.find('name')
            name = name_el.text if name_el is not None else None
            names.append(name)
            if name not in self.cat2label:
                continue
            label = self.cat2label[name]
            difficult = obj.find('difficult')
            difficult = 0 if difficult is None or difficult.text is None else int(difficult.text)
            bnd = obj.find('bndbox')
            try:
                # coordinates may be written as floats; MMDetection truncates them
                bbox = [int(float(bnd.find(key).text)) for key in _BOX_KEYS]
            except (AttributeError, TypeError, ValueError):
                skip('objects without a complete <bndbox>', f'e.g. object {k} in {rel}')
                continue
            if bbox[2] < bbox[0] or bbox[3] < bbox[1]:
                skip('bbox w/h ≤ 0', f'e.g. object {k} in {rel}')
                continue
            ignore = False
            if self.min_size:
                w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
                ignore = w < self.min_size or h < self.min_size
            if difficult or ignore:
                bboxes_ignore.append(bbox)
                labels_ignore.append(label)
            else:
                bboxes.append(bbox)
                labels.append(label)
        ann = dict(
            bboxes=np.array(bboxes, dtype=np.float32).reshape(-1, 4) - 1,
            labels=np.array(labels, dtype=np.int64),
            bboxes_ignore=np.array(bboxes_ignore, dtype=np.float32).reshape(-1, 4) - 1,
            labels_ignore=np.array(labels_ignore, dtype=np.int64))
        return dict(id=img_id, filename=filename, width=width, height=height, ann=ann,
                    object_names=names)

    def _filter_imgs(self, min_size: int = 32) -> list[int]:
        """Train images big enough and (with ``filter_empty_gt``) holding a class object."""
        small = self._sizes.min(1) < min_size if len(self) else np.zeros(0, bool)
        empty = np.zeros(len(self), dtype=bool)
        if self.filter_empty_gt:
            # as MMDetection: any object of CLASSES counts, difficult ones too
            empty = np.array([not any(n in self.cat2label for n in r['object_names'])
                              for r in self.data_infos], dtype=bool)
            self.load_report.drop('without annotations', int((empty & ~small).sum()))
        self.load_report.drop(f'smaller than {min_size} px', int(small.sum()))
        return np.flatnonzero(~small & ~empty).tolist()

    def get_cat_ids(self, idx: int) -> list[int]:
        """Labels of the class objects in image ``idx`` (difficult ones too)."""
        return [self.cat2label[n] for n in self.data_infos[idx]['object_names']
                if n in self.cat2label]
