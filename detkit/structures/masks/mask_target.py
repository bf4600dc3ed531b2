"""mask_target: mask-head training targets from positive proposals (MMDetection 2.x)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch.nn.modules.utils import _pair

from .base_masks import BaseInstanceMasks


def _cfg_get(cfg: Any, key: str, default: Any = None) -> Any:
    if isinstance(cfg, dict):
        return cfg.get(key, default)
    return getattr(cfg, key, default)


def mask_target_single(pos_proposals: torch.Tensor, pos_assigned_gt_inds: torch.Tensor,
                       gt_masks: BaseInstanceMasks, cfg: Any) -> torch.Tensor:
    """Targets of one image.

    Args:
        pos_proposals (Tensor): (K, 4) positive proposals [x1, y1, x2, y2].
        pos_assigned_gt_inds (Tensor): (K,) index of each proposal's gt mask.
        gt_masks (BitmapMasks | PolygonMasks): the image's N gt masks.
        cfg (dict): ``mask_size`` (int or (h, w)); ``soft_mask_target`` (bool,
            default False) keeps RoIAlign's averages instead of 0/1.

    Returns:
        Tensor: (K, h, w) float32 on the proposals' device.
    """
    device = pos_proposals.device
    mask_size = _pair(_cfg_get(cfg, 'mask_size'))
    binarize = not _cfg_get(cfg, 'soft_mask_target', False)
    if pos_proposals.size(0) == 0:
        return pos_proposals.new_zeros((0,) + tuple(mask_size))
    proposals = pos_proposals.detach().cpu().numpy().copy()
    # a proposal reaching past the image samples nothing there
    proposals[:, [0, 2]] = np.clip(proposals[:, [0, 2]], 0, gt_masks.width)
    proposals[:, [1, 3]] = np.clip(proposals[:, [1, 3]], 0, gt_masks.height)
    inds = pos_assigned_gt_inds.detach().cpu().numpy()
    targets = gt_masks.crop_and_resize(proposals, mask_size, device=device, inds=inds,
                                       binarize=binarize).to_ndarray()
    return torch.from_numpy(np.asarray(targets)).float().to(device)


def mask_target(pos_proposals_list: Sequence[torch.Tensor],
                pos_assigned_gt_inds_list: Sequence[torch.Tensor],
                gt_masks_list: Sequence[BaseInstanceMasks], cfg: Any) -> Any:
    """Mask targets of a batch: per image :func:`mask_target_single`, concatenated.

    Returns:
        Tensor: (sum K_i, h, w) float32 (an empty list for an empty batch, as
        MMDetection).
    """
    targets = [mask_target_single(p, i, m, cfg)
               for p, i, m in zip(pos_proposals_list, pos_assigned_gt_inds_list, gt_masks_list)]
    return torch.cat(targets) if targets else targets
