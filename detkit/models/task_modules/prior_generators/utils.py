"""Helpers shared by prior generators and the heads that use them."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

DeviceLike = Union[str, torch.device, None]


def pair(x: Union[int, float, Sequence]) -> tuple:
    """``8`` -> ``(8, 8)``; a pair stays a pair (stride as (w, h))."""
    if isinstance(x, (list, tuple)):
        if len(x) != 2:
            raise ValueError(f'expected a number or a (w, h) pair, but got {x!r}')
        return tuple(x)
    return (x, x)


def resolve_device(device: DeviceLike) -> torch.device:
    """None -> CUDA when available, else CPU (MMDetection defaults to 'cuda')."""
    if device is None:
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    return torch.device(device)


def meshgrid_flat(x: Tensor, y: Tensor, row_major: bool = True) -> tuple:
    """Flattened grid of (W,) x and (H,) y, x varying fastest: (H*W,) each."""
    yy, xx = torch.meshgrid(y, x, indexing='ij')
    if row_major:
        return xx.reshape(-1), yy.reshape(-1)
    return yy.reshape(-1), xx.reshape(-1)


def grid_valid_flags(featmap_size: Sequence[int], valid_size: Sequence[int],
                     num_base_priors: int, device: DeviceLike) -> Tensor:
    """(H*W*A,) bool: True for priors whose cell is inside the valid (unpadded) region."""
    feat_h, feat_w = featmap_size
    valid_h, valid_w = valid_size
    if valid_h > feat_h or valid_w > feat_w:
        raise ValueError(f'valid size {tuple(valid_size)} exceeds the feature map '
                         f'{tuple(featmap_size)}')
    device = resolve_device(device)
    valid_x = torch.arange(feat_w, device=device) < valid_w
    valid_y = torch.arange(feat_h, device=device) < valid_h
    xx, yy = meshgrid_flat(valid_x, valid_y)
    valid = xx & yy
    return valid[:, None].expand(valid.size(0), num_base_priors).reshape(-1)


def valid_size_of(pad_shape: Sequence[int], stride: Sequence[int],
                  featmap_size: Sequence[int]) -> tuple:
    """Cells covering the unpadded image: ceil(h / stride_h), ceil(w / stride_w), capped."""
    h, w = pad_shape[:2]
    return (min(int(math.ceil(h / stride[1])), featmap_size[0]),
            min(int(math.ceil(w / stride[0])), featmap_size[1]))


def anchor_inside_flags(flat_anchors: Tensor, valid_flags: Tensor, img_shape: Sequence[int],
                        allowed_border: float = 0) -> Tensor:
    """Anchors that are valid and lie inside the image grown by ``allowed_border``.

    Args:
        flat_anchors (Tensor): (N, 4). valid_flags (Tensor): (N,) bool.
        img_shape (tuple): (H, W, ...). allowed_border (float): < 0 disables the check.

    Returns:
        Tensor: (N,) bool.
    """
    img_h, img_w = img_shape[:2]
    if allowed_border < 0:
        return valid_flags
    return (valid_flags
            & (flat_anchors[:, 0] >= -allowed_border)
            & (flat_anchors[:, 1] >= -allowed_border)
            & (flat_anchors[:, 2] < img_w + allowed_border)
            & (flat_anchors[:, 3] < img_h + allowed_border))


def calc_region(bbox: Tensor, ratio: float, featmap_size: Optional[Sequence[int]] = None) -> tuple:
    """The central ``ratio`` part of ``bbox`` (4,), rounded, clamped to the feature map."""
    x1 = torch.round((1 - ratio) * bbox[0] + ratio * bbox[2]).long()
    y1 = torch.round((1 - ratio) * bbox[1] + ratio * bbox[3]).long()
    x2 = torch.round(ratio * bbox[0] + (1 - ratio) * bbox[2]).long()
    y2 = torch.round(ratio * bbox[1] + (1 - ratio) * bbox[3]).long()
    if featmap_size is not None:
        x1 = x1.clamp(min=0, max=featmap_size[1])
        y1 = y1.clamp(min=0, max=featmap_size[0])
        x2 = x2.clamp(min=0, max=featmap_size[1])
        y2 = y2.clamp(min=0, max=featmap_size[0])
    return x1, y1, x2, y2


def images_to_levels(target: list, num_levels: Sequence[int]) -> list:
    """Per-image targets [(N_all, ...)] * B -> per-level [(B, N_l, ...)] * L."""
    stacked = torch.stack(target, 0)
    return list(torch.split(stacked, list(num_levels), dim=1))
