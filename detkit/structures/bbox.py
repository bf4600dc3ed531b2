"""Box conversions shared by heads, RoI heads and test-time augmentation.

Semantics follow MMDetection 2.x ``mmdet.core.bbox.transforms`` exactly (our
public contract). Boxes are ``(x1, y1, x2, y2)`` in absolute pixels unless a
function says otherwise; N boxes, B images, C classes.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import torch
from torch import Tensor

ArrayOrTensor = Union[np.ndarray, Tensor]

_FLIP_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')


def _check_direction(direction: str) -> None:
    if direction not in _FLIP_DIRECTIONS:
        from ..utils.suggest import did_you_mean
        raise ValueError(f'bbox_flip: direction must be one of {_FLIP_DIRECTIONS}, but got '
                         f'{direction!r}{did_you_mean(str(direction), _FLIP_DIRECTIONS)}')


def bbox_flip(bboxes: ArrayOrTensor, img_shape: Sequence[int],
              direction: str = 'horizontal') -> ArrayOrTensor:
    """Flip boxes inside an image of shape ``img_shape``.

    Args:
        bboxes (Tensor | ndarray): (..., 4 * k) boxes (k boxes per row allowed,
            e.g. class-specific regression outputs).
        img_shape (tuple): (H, W) or (H, W, C) of the image the boxes live in.
        direction (str): 'horizontal', 'vertical' or 'diagonal' (both).

    Returns:
        Same type and shape as ``bboxes``: the flipped boxes. A horizontal flip
        maps x to W - x, so x1' = W - x2 and x2' = W - x1.
    """
    if bboxes.shape[-1] % 4 != 0:
        raise ValueError(f'bbox_flip: the last dim of bboxes must be a multiple of 4, but '
                         f'got shape {tuple(bboxes.shape)}')
    _check_direction(direction)
    flipped = bboxes.clone() if isinstance(bboxes, Tensor) else bboxes.copy()
    h, w = img_shape[0], img_shape[1]
    if direction in ('horizontal', 'diagonal'):
        flipped[..., 0::4] = w - bboxes[..., 2::4]
        flipped[..., 2::4] = w - bboxes[..., 0::4]
    if direction in ('vertical', 'diagonal'):
        flipped[..., 1::4] = h - bboxes[..., 3::4]
        flipped[..., 3::4] = h - bboxes[..., 1::4]
    return flipped


def bbox_mapping(bboxes: Tensor, img_shape: Sequence[int], scale_factor: ArrayOrTensor,
                 flip: bool, flip_direction: str = 'horizontal') -> Tensor:
    """Map boxes from the original image to a (rescaled, maybe flipped) test image.

    Args:
        bboxes (Tensor): (N, 4) boxes in the original image.
        img_shape (tuple): (H, W[, C]) of the test image, used by the flip.
        scale_factor (float | ndarray | Tensor): scalar or [w, h, w, h].
        flip (bool): whether the test image is flipped.
        flip_direction (str): as in :func:`bbox_flip`.

    Returns:
        Tensor: (N, 4) boxes in the test image.
    """
    new_bboxes = bboxes * bboxes.new_tensor(scale_factor)
    if flip:
        new_bboxes = bbox_flip(new_bboxes, img_shape, flip_direction)
    return new_bboxes


def bbox_mapping_back(bboxes: Tensor, img_shape: Sequence[int], scale_factor: ArrayOrTensor,
                      flip: bool, flip_direction: str = 'horizontal') -> Tensor:
    """Map boxes from a test image back to the original image (inverse of bbox_mapping).

    Args:
        bboxes (Tensor): (..., 4 * k) boxes in the test image.
        img_shape, scale_factor, flip, flip_direction: as in :func:`bbox_mapping`.

    Returns:
        Tensor: boxes of the same shape, in the original image.
    """
    new_bboxes = bbox_flip(bboxes, img_shape, flip_direction) if flip else bboxes
    new_bboxes = new_bboxes.reshape(-1, 4) / new_bboxes.new_tensor(scale_factor)
    return new_bboxes.view(bboxes.shape)


def bbox2roi(bbox_list: Sequence[Tensor]) -> Tensor:
    """Stack per-image boxes into RoIs with a leading image index.

    Args:
        bbox_list (list[Tensor]): B tensors of shape (N_i, 4) or (N_i, >4); only
            the first 4 columns are used.

    Returns:
        Tensor: (sum N_i, 5) rows [batch_ind, x1, y1, x2, y2].
    """
    rois_list = []
    for img_id, bboxes in enumerate(bbox_list):
        if bboxes.size(0) > 0:
            img_inds = bboxes.new_full((bboxes.size(0), 1), img_id)
            rois = torch.cat([img_inds, bboxes[:, :4]], dim=-1)
        else:
            rois = bboxes.new_zeros((0, 5))
        rois_list.append(rois)
    return torch.cat(rois_list, 0)


def roi2bbox(rois: Tensor) -> list[Tensor]:
    """Split RoIs (N, 5) back into per-image boxes.

    Returns:
        list[Tensor]: one (N_i, 4) tensor per image index present in ``rois``,
        in increasing index order (images without RoIs get no entry, as in
        MMDetection).
    """
    bbox_list = []
    img_ids = torch.unique(rois[:, 0].cpu(), sorted=True)
    for img_id in img_ids:
        inds = rois[:, 0] == img_id.item()
        bbox_list.append(rois[inds, 1:])
    return bbox_list


def bbox2result(bboxes: ArrayOrTensor, labels: ArrayOrTensor,
                num_classes: int) -> list[np.ndarray]:
    """Split detections into the per-class result format.

    Args:
        bboxes (Tensor | ndarray): (N, 5) [x1, y1, x2, y2, score].
        labels (Tensor | ndarray): (N,) class indices in [0, num_classes).
        num_classes (int): C, the number of foreground classes.

    Returns:
        list[ndarray]: C arrays of shape (n_c, 5); float32 (0, 5) arrays when
        there are no detections.
    """
    if bboxes.shape[0] == 0:
        return [np.zeros((0, 5), dtype=np.float32) for _ in range(num_classes)]
    if isinstance(bboxes, Tensor):
        bboxes = bboxes.detach().cpu().numpy()
    if isinstance(labels, Tensor):
        labels = labels.detach().cpu().numpy()
    return [bboxes[labels == i, :] for i in range(num_classes)]


def distance2bbox(points: Tensor, distance: Tensor,
                  max_shape: Union[Sequence[int], Sequence[Sequence[int]], Tensor, None] = None
                  ) -> Tensor:
    """Decode (left, top, right, bottom) distances from points into boxes.

    Args:
        points (Tensor): (N, 2) or (B, N, 2) points [x, y].
        distance (Tensor): (N, 4) or (B, N, 4) distances to the 4 sides.
        max_shape (tuple | list[tuple] | Tensor, optional): (H, W[, C]) bound
            for all boxes, or one (H, W[, C]) per image (B entries) for batched
            input. Coordinates are clamped to [0, W] and [0, H].

    Returns:
        Tensor: (N, 4) or (B, N, 4) boxes.
    """
    x1 = points[..., 0] - distance[..., 0]
    y1 = points[..., 1] - distance[..., 1]
    x2 = points[..., 0] + distance[..., 2]
    y2 = points[..., 1] + distance[..., 3]
    bboxes = torch.stack([x1, y1, x2, y2], -1)
    if max_shape is None:
        return bboxes
    if bboxes.dim() == 2 and not isinstance(max_shape, Tensor):
        bboxes[:, 0::2].clamp_(min=0, max=max_shape[1])
        bboxes[:, 1::2].clamp_(min=0, max=max_shape[0])
        return bboxes
    if not isinstance(max_shape, Tensor):
        max_shape = x1.new_tensor(max_shape)
    max_shape = max_shape[..., :2].type_as(x1)
    if max_shape.ndim == 2:
        if bboxes.ndim != 3 or max_shape.size(0) != bboxes.size(0):
            raise ValueError(f'distance2bbox: per-image max_shape of shape '
                             f'{tuple(max_shape.shape)} needs boxes of shape (B, N, 4) with '
                             f'the same B, but got boxes of shape {tuple(bboxes.shape)}')
    # [h, w] -> [w, h, w, h], with a box dim so it broadcasts over N
    max_xy = torch.cat([max_shape, max_shape], dim=-1).flip(-1).unsqueeze(-2)
    min_xy = x1.new_tensor(0)
    bboxes = torch.where(bboxes < min_xy, min_xy, bboxes)
    bboxes = torch.where(bboxes > max_xy, max_xy, bboxes)
    return bboxes


def bbox2distance(points: Tensor, bbox: Tensor, max_dis: Union[float, None] = None,
                  eps: float = 0.1) -> Tensor:
    """Encode boxes as (left, top, right, bottom) distances from points.

    Args:
        points (Tensor): (N, 2) points [x, y].
        bbox (Tensor): (N, 4) boxes.
        max_dis (float, optional): distances are clamped to [0, max_dis - eps].
        eps (float): keeps targets strictly below ``max_dis``.

    Returns:
        Tensor: (N, 4) distances.
    """
    left = points[:, 0] - bbox[:, 0]
    top = points[:, 1] - bbox[:, 1]
    right = bbox[:, 2] - points[:, 0]
    bottom = bbox[:, 3] - points[:, 1]
    dist = torch.stack([left, top, right, bottom], -1)
    if max_dis is not None:
        dist = dist.clamp(min=0, max=max_dis - eps)
    return dist


def bbox_rescale(bboxes: Tensor, scale_factor: float = 1.0) -> Tensor:
    """Scale boxes about their centres.

    Args:
        bboxes (Tensor): (N, 4) boxes or (N, 5) RoIs [batch_ind, x1, y1, x2, y2].
        scale_factor (float): factor applied to width and height.

    Returns:
        Tensor: same shape; a RoI keeps its batch index.
    """
    is_roi = bboxes.size(1) == 5
    boxes = bboxes[:, 1:] if is_roi else bboxes
    cx = (boxes[:, 0] + boxes[:, 2]) * 0.5
    cy = (boxes[:, 1] + boxes[:, 3]) * 0.5
    w = (boxes[:, 2] - boxes[:, 0]) * scale_factor
    h = (boxes[:, 3] - boxes[:, 1]) * scale_factor
    out = [cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h]
    if is_roi:
        out.insert(0, bboxes[:, 0])
    return torch.stack(out, dim=-1)


def bbox_cxcywh_to_xyxy(bbox: Tensor) -> Tensor:
    """(..., 4) (cx, cy, w, h) -> (..., 4) (x1, y1, x2, y2)."""
    cx, cy, w, h = bbox.split((1, 1, 1, 1), dim=-1)
    return torch.cat([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def bbox_xyxy_to_cxcywh(bbox: Tensor) -> Tensor:
    """(..., 4) (x1, y1, x2, y2) -> (..., 4) (cx, cy, w, h)."""
    x1, y1, x2, y2 = bbox.split((1, 1, 1, 1), dim=-1)
    return torch.cat([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


def find_inside_bboxes(bboxes: Tensor, img_h: int, img_w: int) -> Tensor:
    """Mask of boxes that overlap the image at least partly.

    Args:
        bboxes (Tensor): (N, 4) boxes.
        img_h, img_w (int): image size.

    Returns:
        Tensor: (N,) bool.
    """
    return ((bboxes[:, 0] < img_w) & (bboxes[:, 2] > 0)
            & (bboxes[:, 1] < img_h) & (bboxes[:, 3] > 0))
