"""A seeded generator of shape scenes with boxes and exact polygon masks.

The demo's and the tests' data: each image holds 0-8 shapes of a few classes
('circle', 'square', ...), filled, outlined (hollow: the background shows inside)
or textured (stripes / checker), small to large, rotated and stretched, on a
solid / gradient / noise / striped background of varied image aspect ratios.
Later shapes occlude earlier ones; the *visible* region of every shape is what
is annotated, and placements that would leave a shape less than half visible,
split into slivers or pierced by a hole are rejected and redrawn, so every
annotation stays a hole-free polygon set. A few images hold an ``iscrowd``
region: a cluster of tiny shapes of one class annotated as one RLE mask.

Masks are rendered with ``cv2.fillPoly`` from integer vertices, so the polygon
*is* the mask: ``fillPoly(segmentation) == visible mask`` pixel for pixel, the
box is the tight box of that mask ((x1, y1, w, h) with w = x2 - x1 + 1, i.e.
pixel i covers [i, i + 1)) and ``area`` is its pixel count.

Randomness goes through one ``numpy.random.Generator`` per image, derived from
(seed, split, index): the same seed gives the same bytes, whatever the number
of images asked for.
"""
from __future__ import annotations

import json
import math
import os
import os.path as osp
from typing import Optional, Sequence, Union

import cv2
import numpy as np

#: The default shape classes, in label order.
SHAPE_CLASSES = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross')

_SPLIT_CODES = {'train': 0, 'val': 1, 'test': 2}


def _shape_unit_polygon(name: str) -> np.ndarray:
    """Vertices of a shape of circumradius 1 centred at 0: (V, 2) float64."""
    if name == 'circle':
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        return np.stack([np.cos(t), np.sin(t)], 1)
    if name == 'square':
        t = np.pi / 4 + np.arange(4) * np.pi / 2
        return np.stack([np.cos(t), np.sin(t)], 1)
    if name == 'triangle':
        t = -np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        return np.stack([np.cos(t), np.sin(t)], 1)
    if name == 'hexagon':
        t = np.arange(6) * np.pi / 3
        return np.stack([np.cos(t), np.sin(t)], 1)
    if name == 'star':
        t = -np.pi / 2 + np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, 1.0, 0.42)
        return np.stack([r * np.cos(t), r * np.sin(t)], 1)
    if name == 'cross':
        a, b = 1 / math.sqrt(2), 0.3
        return np.array([[-b, -a], [b, -a], [b, -b], [a, -b], [a, b], [b, b], [b, a],
                         [-b, a], [-b, b], [-a, b], [-a, -b], [-b, -b]])
    raise KeyError(f'unknown shape {name!r}; known shapes: {", ".join(SHAPE_CLASSES)}')


def rle_encode(mask: np.ndarray) -> dict:
    """Uncompressed COCO RLE of a (H, W) bool/uint8 mask (column-major runs).

    Returns ``{'counts': [int, ...], 'size': [H, W]}``; the first run counts zeros.
    """
    h, w = mask.shape
    flat = np.asarray(mask, dtype=bool).ravel(order='F')
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return {'counts': [int(c) for c in counts], 'size': [int(h), int(w)]}


def _contours(mask: np.ndarray) -> tuple[list[np.ndarray], bool]:
    """External contours of a uint8 mask, and whether the mask has holes."""
    cs, hier = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return [], False
    has_hole = bool((hier[0, :, 3] >= 0).any())
    outer = [c.reshape(-1, 2) for c, h in zip(cs, hier[0]) if h[3] < 0]
    return outer, has_hole


class SyntheticShapes:
    """Renders shape scenes and their COCO-style annotations.

    Args:
        img_size (int | tuple[int, int]): an int S gives varied image aspect
            ratios with the longer side S; a tuple (W, H) fixes the size.
        classes (Sequence[str]): shape names from :data:`SHAPE_CLASSES`; the
            label of a shape is its index here, its COCO category id index + 1.
        max_objects (int): most shapes in one image.
        empty_prob (float): chance that an image holds no object at all.
        crowd_prob (float): chance that an image holds one ``iscrowd`` region.
        min_visible (float): least visible fraction of an occluded shape.
    """

    def __init__(self, img_size: Union[int, Sequence[int]] = 320,
                 classes: Sequence[str] = SHAPE_CLASSES, max_objects: int = 8,
                 empty_prob: float = 0.08, crowd_prob: float = 0.06,
                 min_visible: float = 0.5):
        for c in classes:
            _shape_unit_polygon(c)  # raises with the known names
        sizes = [img_size] if isinstance(img_size, int) else list(img_size)
        if len(sizes) not in (1, 2) or min(sizes) < 32:
            raise ValueError(f'img_size must be an int S >= 32 or (W, H) with W, H >= 32, but '
                             f'got {img_size!r}')
        self.img_size = img_size
        self.classes = tuple(classes)
        self.max_objects = max_objects
        self.empty_prob = empty_prob
        self.crowd_prob = crowd_prob
        self.min_visible = min_visible
        self._unit = {c: _shape_unit_polygon(c) for c in self.classes}

    # -- pieces of a scene ------------------------------------------------------------------
    def _image_size(self, rng: np.random.Generator) -> tuple[int, int]:
        if not isinstance(self.img_size, int):
            w, h = self.img_size
            return int(w), int(h)
        s = self.img_size
        short = int(round(s * rng.choice([1.0, 0.75, 0.625, 0.5]) / 8)) * 8
        return (s, short) if rng.random() < 0.6 else (short, s)

    @staticmethod
    def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
        kind = rng.integers(4)
        c0 = rng.integers(0, 256, 3).astype(np.float32)
        if kind == 0:  # solid
            return np.broadcast_to(c0, (h, w, 3)).astype(np.uint8)
        if kind == 1:  # linear gradient between two colours
            c1 = rng.integers(0, 256, 3).astype(np.float32)
            a = rng.uniform(0, 2 * np.pi)
            ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
            t = xs * math.cos(a) + ys * math.sin(a)
            t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
            return (c0 + t[..., None] * (c1 - c0)).astype(np.uint8)
        if kind == 2:  # low-amplitude noise around a colour
            noise = rng.normal(0, rng.uniform(8, 30), (h, w, 1)).astype(np.float32)
            return np.clip(c0 + noise, 0, 255).astype(np.uint8)
        c1 = np.clip(c0 + rng.integers(-40, 41, 3), 0, 255)  # faint stripes
        ys, xs = np.mgrid[0:h, 0:w]
        band = ((xs + ys * rng.integers(-1, 2)) // int(rng.integers(6, 20))) % 2
        return np.where(band[..., None] == 1, c1, c0).astype(np.uint8)

    @staticmethod
    def _colour(rng: np.random.Generator, avoid: np.ndarray) -> np.ndarray:
        """A colour far (L1 > 150) from ``avoid`` so that shapes stay learnable."""
        for _ in range(20):
            c = rng.integers(0, 256, 3)
            if np.abs(c - avoid).sum() > 150:
                return c
        return 255 - avoid.astype(np.int64)

    def _polygon(self, rng: np.random.Generator, name: str, w: int, h: int,
                 r_min: float, r_max: float) -> np.ndarray:
        """Integer vertices of a rotated, stretched shape inside the image: (V, 2) int32."""
        r = math.exp(rng.uniform(math.log(r_min), math.log(r_max)))
        stretch = rng.uniform(0.75, 1.33)
        pts = self._unit[name] * r * np.array([stretch, 1 / stretch])
        a = rng.uniform(0, 2 * np.pi)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        pts = pts @ rot.T
        lo, hi = pts.min(0), pts.max(0)
        span = hi - lo
        if span[0] >= w - 2 or span[1] >= h - 2:
            pts *= 0.9 * min((w - 2) / span[0], (h - 2) / span[1])
            lo, hi = pts.min(0), pts.max(0)
        cx = rng.uniform(-lo[0], w - 1 - hi[0])
        cy = rng.uniform(-lo[1], h - 1 - hi[1])
        poly = np.round(pts + [cx, cy]).astype(np.int32)
        poly[:, 0] = poly[:, 0].clip(0, w - 1)
        poly[:, 1] = poly[:, 1].clip(0, h - 1)
        return poly

    @staticmethod
    def _paint(rng: np.random.Generator, canvas: np.ndarray, bg: np.ndarray,
               mask: np.ndarray, colour: np.ndarray) -> None:
        """Paint one shape into ``canvas`` where ``mask``: filled, outlined or textured."""
        ys, xs = np.nonzero(mask)
        style = rng.integers(3)
        if style == 0:
            canvas[ys, xs] = colour
        elif style == 1:  # hollow: a ring of the colour, the background inside
            size = min(np.ptp(ys), np.ptp(xs)) + 1
            t = max(1, int(size * rng.uniform(0.08, 0.2)))
            inner = cv2.erode(mask, np.ones((2 * t + 1, 2 * t + 1), np.uint8))
            canvas[ys, xs] = colour
            canvas[inner > 0] = bg[inner > 0]
        else:  # stripes or a checker of the colour and a darker / lighter one
            other = np.clip(colour.astype(np.int64) + rng.choice([-90, 90]), 0, 255)
            period = int(rng.integers(3, 9))
            if rng.random() < 0.5:
                on = ((xs + ys) // period) % 2 == 0
            else:
                on = ((xs // period) + (ys // period)) % 2 == 0
            canvas[ys, xs] = np.where(on[:, None], colour, other)

    def _acceptable(self, owner: np.ndarray, objs: list, idx: int) -> bool:
        """Whether object ``idx`` is still visible enough and hole-free in ``owner``."""
        vis = (owner == idx).astype(np.uint8)
        area = int(vis.sum())
        if area < self.min_visible * objs[idx]['full_area'] or area < 12:
            return False
        if objs[idx]['iscrowd']:
            return True
        outer, has_hole = _contours(vis)
        if has_hole:
            return False
        # every piece must be a real polygon (>= 3 vertices) and not a sliver
        for c in outer:
            if len(c) < 3 or cv2.contourArea(c) < 8:
                return False
        return True

    def _crowd_mask(self, rng: np.random.Generator, name: str, w: int, h: int) -> np.ndarray:
        """The union of 8-20 tiny shapes of one class packed in a region: (H, W) uint8."""
        rw, rh = int(w * rng.uniform(0.2, 0.35)), int(h * rng.uniform(0.2, 0.35))
        x0, y0 = int(rng.integers(0, w - rw)), int(rng.integers(0, h - rh))
        mask = np.zeros((h, w), np.uint8)
        for _ in range(int(rng.integers(8, 21))):
            p = self._polygon(rng, name, rw, rh, 3, 6) + [x0, y0]
            cv2.fillPoly(mask, [p.astype(np.int32)], 1)
        return mask

    # -- a whole scene ----------------------------------------------------------------------
    def generate(self, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """Render one scene.

        Returns:
            img (ndarray): (H, W, 3) uint8, BGR.
            anns (list[dict]): per object ``label`` (int), ``bbox`` [x, y, w, h],
                ``area`` (int), ``iscrowd`` (0/1), ``segmentation`` (list of
                flat polygons [x1, y1, x2, y2, ...], or an uncompressed RLE for
                crowd regions), ``visible`` (float: visible / full area).
        """
        w, h = self._image_size(rng)
        bg = self._background(rng, w, h)
        canvas = bg.copy()
        bg_mean = bg.reshape(-1, 3).mean(0)
        owner = np.full((h, w), -1, np.int16)
        objs: list[dict] = []
        n = 0 if rng.random() < self.empty_prob else int(rng.integers(1, self.max_objects + 1))
        crowd = n > 0 and rng.random() < self.crowd_prob
        small = 0.025 * min(w, h)
        r_max = 0.35 * min(w, h)
        for k in range(n + int(crowd)):
            label = int(rng.integers(len(self.classes)))
            name = self.classes[label]
            is_crowd = crowd and k == 0  # crowds lie at the bottom, under the others
            for _ in range(10):  # redraw placements that would hide or split others
                if is_crowd:
                    mask, poly = self._crowd_mask(rng, name, w, h), None
                else:
                    poly = self._polygon(rng, name, w, h, max(small, 4.0), r_max)
                    mask = np.zeros((h, w), np.uint8)
                    cv2.fillPoly(mask, [poly], 1)
                trial = owner.copy()
                trial[mask > 0] = len(objs)
                hit = np.unique(owner[mask > 0])
                cand = objs + [dict(full_area=int(mask.sum()), iscrowd=int(is_crowd))]
                if all(self._acceptable(trial, cand, int(j)) for j in hit[hit >= 0]) \
                        and self._acceptable(trial, cand, len(objs)):
                    break
            else:
                continue  # no room for this one
            self._paint(rng, canvas, bg, mask, self._colour(rng, bg_mean))
            owner = trial
            objs.append(dict(label=label, poly=poly, full_area=int(mask.sum()),
                             iscrowd=int(is_crowd)))
        return canvas, [self._annotation(owner, i, o) for i, o in enumerate(objs)]

    @staticmethod
    def _annotation(owner: np.ndarray, idx: int, obj: dict) -> dict:
        vis = (owner == idx).astype(np.uint8)
        ys, xs = np.nonzero(vis)
        x1, y1 = int(xs.min()), int(ys.min())
        bbox = [x1, y1, int(xs.max()) - x1 + 1, int(ys.max()) - y1 + 1]
        area = int(vis.sum())
        if obj['iscrowd']:
            seg: Union[dict, list] = rle_encode(vis)
        elif area == obj['full_area']:
            seg = [obj['poly'].reshape(-1).tolist()]  # unoccluded: the drawn vertices
        else:
            seg = [c.reshape(-1).tolist() for c in _contours(vis)[0]]
        return dict(label=obj['label'], bbox=bbox, area=area, iscrowd=obj['iscrowd'],
                    segmentation=seg, visible=area / obj['full_area'])


def _atomic_write_text(path: str, text: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def _voc_xml(filename: str, w: int, h: int, anns: list[dict], classes: Sequence[str]) -> str:
    objs = []
    for a in anns:
        x, y, bw, bh = a['bbox']
        # crowds and mostly hidden shapes are the 'difficult' objects of VOC
        difficult = int(a['iscrowd'] or a['area'] < 36)
        # VOC boxes are 1-based inclusive pixel indices
        objs.append(
            f'  <object>\n    <name>{classes[a["label"]]}</name>\n    <pose>Unspecified</pose>\n'
            f'    <truncated>0</truncated>\n    <difficult>{difficult}</difficult>\n'
            f'    <bndbox>\n      <xmin>{x + 1}</xmin>\n      <ymin>{y + 1}</ymin>\n'
            f'      <xmax>{x + bw}</xmax>\n      <ymax>{y + bh}</ymax>\n    </bndbox>\n'
            f'  </object>\n')
    return (f'<annotation>\n  <folder>VOC2007</folder>\n  <filename>{filename}</filename>\n'
            f'  <size>\n    <width>{w}</width>\n    <height>{h}</height>\n'
            f'    <depth>3</depth>\n  </size>\n  <segmented>0</segmented>\n'
            + ''.join(objs) + '</annotation>\n')


def make_synthetic_dataset(out_dir: str, num_train: int = 100, num_val: int = 20,
                           seed: int = 0, img_size: Union[int, Sequence[int]] = 320,
                           fmt: str = 'coco', img_ext: str = '.jpg',
                           classes: Sequence[str] = SHAPE_CLASSES,
                           generator: Optional[SyntheticShapes] = None) -> dict:
    """Write a synthetic shape dataset to ``out_dir``.

    COCO layout (what ``configs/_base_/datasets/coco_*.py`` expect under data_root)::

        out_dir/train2017/000001.jpg ...  out_dir/val2017/...
        out_dir/annotations/instances_train2017.json, instances_val2017.json

    VOC layout (``configs/_base_/datasets/voc0712.py`` with data_root=out_dir/)::

        out_dir/VOC2007/JPEGImages/, Annotations/, ImageSets/Main/{train,val}.txt
        (plus trainval.txt = train.txt and test.txt = val.txt)

    Args:
        out_dir (str): output folder (created).
        num_train, num_val (int): number of images per split.
        seed (int): the same seed gives byte-identical files.
        img_size (int | tuple[int, int]): see :class:`SyntheticShapes`.
        fmt (str): 'coco' or 'voc'.
        img_ext (str): '.jpg' or '.png'.

    Returns:
        dict: split name -> path of the annotation file (COCO) or id list (VOC).
    """
    if fmt not in ('coco', 'voc'):
        raise ValueError(f"fmt must be 'coco' or 'voc', but got {fmt!r}")
    if img_ext not in ('.jpg', '.png'):
        raise ValueError(f"img_ext must be '.jpg' or '.png', but got {img_ext!r}")
    gen = generator or SyntheticShapes(img_size=img_size, classes=classes)
    classes = gen.classes
    params = [int(cv2.IMWRITE_JPEG_QUALITY), 92] if img_ext == '.jpg' else []
    written = {}
    for split, num in (('train', num_train), ('val', num_val)):
        if fmt == 'coco':
            img_dir = osp.join(out_dir, f'{split}2017')
        else:
            img_dir = osp.join(out_dir, 'VOC2007', 'JPEGImages')
            os.makedirs(osp.join(out_dir, 'VOC2007', 'Annotations'), exist_ok=True)
        os.makedirs(img_dir, exist_ok=True)
        images, annotations, ids = [], [], []
        for i in range(num):
            rng = np.random.default_rng([seed, _SPLIT_CODES[split], i])
            img, anns = gen.generate(rng)
            h, w = img.shape[:2]
            stem = f'{split}_{i + 1:06d}' if fmt == 'voc' else f'{i + 1:06d}'
            name = stem + img_ext
            ok, buf = cv2.imencode(img_ext, img, params)
            if not ok:
                raise OSError(f'could not encode image {name}')
            buf.tofile(osp.join(img_dir, name))
            ids.append(stem)
            if fmt == 'voc':
                _atomic_write_text(osp.join(out_dir, 'VOC2007', 'Annotations', stem + '.xml'),
                                   _voc_xml(name, w, h, anns, classes))
                continue
            images.append(dict(id=i + 1, file_name=name, width=w, height=h))
            for a in anns:
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=i + 1, category_id=a['label'] + 1,
                    bbox=[float(v) for v in a['bbox']], area=float(a['area']),
                    iscrowd=a['iscrowd'], segmentation=a['segmentation']))
        if fmt == 'coco':
            ann_dir = osp.join(out_dir, 'annotations')
            os.makedirs(ann_dir, exist_ok=True)
            coco = dict(
                info=dict(description='detkit synthetic shapes', version='1.0', seed=seed),
                licenses=[], images=images, annotations=annotations,
                categories=[dict(id=k + 1, name=c, supercategory='shape')
                            for k, c in enumerate(classes)])
            path = osp.join(ann_dir, f'instances_{split}2017.json')
            _atomic_write_text(path, json.dumps(coco, separators=(',', ':')))
            written[split] = path
        else:
            sets = osp.join(out_dir, 'VOC2007', 'ImageSets', 'Main')
            os.makedirs(sets, exist_ok=True)
            text = ''.join(s + '\n' for s in ids)
            _atomic_write_text(osp.join(sets, f'{split}.txt'), text)
            alias = 'trainval' if split == 'train' else 'test'
            _atomic_write_text(osp.join(sets, f'{alias}.txt'), text)
            written[split] = ids
    return written
