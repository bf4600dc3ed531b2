"""Shared test data for the core pipeline transforms: an image with boxes whose masks
are exactly the boxes' pixels, so 'mask tight box == box' checks are exact."""
import numpy as np

from detkit.structures import BitmapMasks, PolygonMasks

BOXES = np.array([[2, 3, 10, 9], [15, 5, 28, 18], [0, 0, 4, 2]], dtype=np.float32)
LABELS = np.array([1, 0, 2], dtype=np.int64)


def rect_masks(boxes, h, w, kind):
    if kind == 'bitmap':
        m = np.zeros((len(boxes), h, w), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
            m[i, y1:y2, x1:x2] = 1
        return BitmapMasks(m, h, w)
    return PolygonMasks([[np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float64)]
                         for x1, y1, x2, y2 in boxes], h, w)


def make_results(h=20, w=30, kind='bitmap', boxes=BOXES, labels=LABELS, seg=True):
    img = (np.arange(h * w * 3).reshape(h, w, 3) % 251).astype(np.uint8)
    res = dict(img=img, img_shape=img.shape, ori_shape=img.shape, img_fields=['img'],
               filename='x.png', ori_filename='x.png',
               gt_bboxes=boxes.copy(), gt_labels=labels.copy(),
               gt_masks=rect_masks(boxes, h, w, kind), bbox_fields=['gt_bboxes'],
               mask_fields=['gt_masks'], seg_fields=[])
    if seg:
        res['gt_semantic_seg'] = (np.arange(h * w).reshape(h, w) % 7).astype(np.uint8)
        res['seg_fields'] = ['gt_semantic_seg']
    return res


def mask_boxes(masks):
    """Tight boxes of the rasterised masks."""
    if isinstance(masks, PolygonMasks):
        masks = masks.to_bitmap()
    return masks.get_bboxes()
