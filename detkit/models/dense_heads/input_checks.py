"""Checks of a head's or detector's inputs, with messages that say what to fix.

Heads and detectors call these before work that would otherwise fail deep
inside with an index error or a silent broadcast.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from torch import Tensor

__all__ = ['check_img_metas', 'check_gt_bboxes', 'check_gt_labels']


def check_img_metas(img_metas: Any, keys: Sequence[str], where: str,
                    num_imgs: Optional[int] = None) -> None:
    """Raise unless ``img_metas`` is a list of dicts that all hold ``keys``.

    Args:
        img_metas (list[dict]): one meta dict per image.
        keys (Sequence[str]): keys every dict must hold (e.g. 'img_shape').
        where (str): the caller, named in messages ('RetinaHead.get_bboxes').
        num_imgs (int, optional): the batch size the list must match.
    """
    if not isinstance(img_metas, (list, tuple)):
        raise TypeError(f'{where}: img_metas must be a list with one dict per image, '
                        f'but got {type(img_metas).__name__}')
    if num_imgs is not None and len(img_metas) != num_imgs:
        raise ValueError(f'{where}: got {len(img_metas)} image metas for a batch of '
                         f'{num_imgs} images')
    for i, meta in enumerate(img_metas):
        if not isinstance(meta, dict):
            raise TypeError(f'{where}: img_metas[{i}] must be a dict, '
                            f'but got {type(meta).__name__}')
        for key in keys:
            if key not in meta:
                raise KeyError(f"{where}: img_metas[{i}] has no '{key}' (keys present: "
                               f"{', '.join(sorted(meta)) or 'none'}); the data pipeline's "
                               f"Collect meta_keys must include '{key}'")


def check_gt_bboxes(gt_bboxes: Any, num_imgs: int, where: str, name: str = 'gt_bboxes') -> None:
    """Raise unless ``gt_bboxes`` is a list of ``num_imgs`` (n_i, 4) tensors.

    Args:
        gt_bboxes (list[Tensor]): per image (n_i, 4) boxes (x1, y1, x2, y2); n_i may be 0.
        num_imgs (int): B, the batch size.
        where (str): the caller, named in messages.
        name (str): the argument's name in messages.
    """
    if not isinstance(gt_bboxes, (list, tuple)):
        raise TypeError(f'{where}: {name} must be a list with one (n, 4) tensor per image, '
                        f'but got {type(gt_bboxes).__name__}')
    if len(gt_bboxes) != num_imgs:
        raise ValueError(f'{where}: got {len(gt_bboxes)} {name} tensors for a batch of '
                         f'{num_imgs} images')
    for i, boxes in enumerate(gt_bboxes):
        if not isinstance(boxes, Tensor):
            raise TypeError(f'{where}: {name}[{i}] must be a Tensor of shape (n, 4), '
                            f'but got {type(boxes).__name__}')
        if boxes.dim() != 2 or boxes.size(-1) != 4:
            raise ValueError(f'{where}: {name}[{i}] must have shape (n, 4) as (x1, y1, x2, y2), '
                             f'but got shape {tuple(boxes.shape)}')


def check_gt_labels(gt_labels: Any, gt_bboxes: Sequence[Tensor], num_classes: int,
                    where: str) -> None:
    """Raise unless ``gt_labels[i]`` is an (n_i,) integer tensor in [0, num_classes)."""
    if not isinstance(gt_labels, (list, tuple)) or len(gt_labels) != len(gt_bboxes):
        got = len(gt_labels) if isinstance(gt_labels, (list, tuple)) else type(gt_labels).__name__
        raise ValueError(f'{where}: gt_labels must be a list of {len(gt_bboxes)} tensors '
                         f'(one per image), but got {got}')
    for i, (labels, boxes) in enumerate(zip(gt_labels, gt_bboxes)):
        if not isinstance(labels, Tensor) or labels.dim() != 1 \
                or labels.size(0) != boxes.size(0):
            shape = tuple(labels.shape) if isinstance(labels, Tensor) else type(labels).__name__
            raise ValueError(f'{where}: gt_labels[{i}] must have shape ({boxes.size(0)},) to match '
                             f'gt_bboxes[{i}], but got {shape}')
        if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f'{where}: gt_labels[{i}] must lie in [0, {num_classes}) '
                             f'(num_classes={num_classes}), but got values in '
                             f'[{int(labels.min())}, {int(labels.max())}]')
