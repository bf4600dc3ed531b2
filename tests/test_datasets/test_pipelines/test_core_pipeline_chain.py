"""A training pipeline end to end: masks stay aligned with boxes through every transform."""
import numpy as np
import pytest
import torch

from detkit.datasets.pipelines import Compose
from detkit.structures import BitmapMasks, PolygonMasks


def _record():
    # two rectangles and a triangle on a 37 x 53 image, as polygons (COCO style)
    polys = [[[4, 5, 20, 5, 20, 17, 4, 17]], [[30, 2, 50, 2, 50, 30, 30, 30]],
             [[10, 20, 26, 20, 10, 36]]]
    boxes = np.array([[4, 5, 20, 17], [30, 2, 50, 30], [10, 20, 26, 36]], np.float32)
    return dict(img=np.random.RandomState(0).randint(0, 255, (37, 53, 3)).astype(np.uint8),
                img_info=dict(filename='mem', height=37, width=53),
                ann_info=dict(bboxes=boxes, labels=np.array([0, 1, 2]), masks=polys),
                img_prefix=None, bbox_fields=[], mask_fields=[], seg_fields=[])


@pytest.mark.parametrize('poly2mask', [True, False])
@pytest.mark.parametrize('seed', [0, 2, 6, 8])
def test_train_chain_keeps_masks_on_boxes(poly2mask, seed):
    pipeline = Compose([
        dict(type='LoadImageFromWebcam'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True, poly2mask=poly2mask),
        dict(type='Resize', img_scale=[(70, 40), (110, 70)], keep_ratio=True),
        dict(type='RandomFlip', flip_ratio=0.9, direction=['horizontal', 'vertical', 'diagonal']),
        dict(type='RandomCrop', crop_size=(0.4, 0.4), crop_type='relative_range',
             allow_negative_crop=True),
        dict(type='Normalize', mean=[0, 0, 0], std=[1, 1, 1], to_rgb=True),
        dict(type='Pad', size_divisor=16),
        dict(type='DefaultFormatBundle'),
        dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels', 'gt_masks']),
    ])
    np.random.seed(seed)
    out = pipeline(_record())
    meta = out['img_metas']
    h, w = meta['img_shape'][:2]
    ph, pw = meta['pad_shape'][:2]
    assert ph % 16 == 0 and pw % 16 == 0 and out['img'].shape == (3, ph, pw)
    assert out['img'].dtype == torch.float32 and meta['scale_factor'].shape == (4,)
    masks = out['gt_masks']
    assert isinstance(masks, BitmapMasks if poly2mask else PolygonMasks)
    assert (masks.height, masks.width) == (ph, pw)
    assert len(masks) == len(out['gt_bboxes']) == len(out['gt_labels'])
    boxes = out['gt_bboxes'].numpy()
    assert (boxes[:, 0::2] <= w).all() and (boxes[:, 1::2] <= h).all()
    tight = (masks if poly2mask else masks.to_bitmap()).get_bboxes()
    # the resize is not by an integer factor: mask edges round to whole pixels
    rect = out['gt_labels'].numpy() < 2
    assert np.abs(tight[rect] - boxes[rect]).max(initial=0) <= 1, (tight, boxes)
    # a crop through the triangle (label 2) leaves its mask inside the clipped box,
    # not filling it (recompute_bbox=True is for that)
    tri = ~rect
    assert (tight[tri, :2] >= boxes[tri, :2] - 1).all(), (tight, boxes)
    assert (tight[tri, 2:] <= boxes[tri, 2:] + 1).all(), (tight, boxes)
