"""``SingleRoIExtractor``: each RoI pooled from the one FPN level its size maps to."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from ....registry import ROI_EXTRACTORS
from .base_roi_extractor import BaseRoIExtractor


@ROI_EXTRACTORS.register_module()
class SingleRoIExtractor(BaseRoIExtractor):
    """Pool every RoI from a single level (FPN paper, eq. 1, as MMDetection maps it).

    A RoI of scale ``s = sqrt(w * h)`` goes to level
    ``floor(log2(s / finest_scale + 1e-6))``, clamped to [0, L - 1]: with the
    default 56, RoIs under 112 px use level 0, 112-224 level 1, and so on.

    Args:
        roi_layer (dict): RoI layer config, e.g. ``dict(type='RoIAlign', output_size=7,
            sampling_ratio=0)``.
        out_channels (int): channels of the features.
        featmap_strides (list[int]): strides of the levels, finest first.
        finest_scale (int): the scale that maps to level 0's upper bound / 2.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, roi_layer: dict, out_channels: int, featmap_strides: Sequence[int],
                 finest_scale: int = 56, init_cfg: Union[dict, list, None] = None):
        super().__init__(roi_layer, out_channels, featmap_strides, init_cfg)
        self.finest_scale = finest_scale

    def map_roi_levels(self, rois: Tensor, num_levels: int) -> Tensor:
        """Level of each RoI.

        Args:
            rois (Tensor): (N, 5) [batch_ind, x1, y1, x2, y2].
            num_levels (int): L.

        Returns:
            Tensor: (N,) int64 in [0, L - 1].
        """
        scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
        target_lvls = torch.floor(torch.log2(scale / self.finest_scale + 1e-6))
        return target_lvls.clamp(min=0, max=num_levels - 1).long()

    def forward(self, feats: Sequence[Tensor], rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        """Pooled features of the RoIs.

        Args:
            feats (list[Tensor]): per level (B, C, H_l, W_l).
            rois (Tensor): (N, 5) [batch_ind, x1, y1, x2, y2] in image pixels.
            roi_scale_factor (float, optional): rescale the RoIs about their
                centres before pooling (the level is chosen before rescaling).

        Returns:
            Tensor: (N, C, h, w).
        """
        out_size = self.roi_layers[0].output_size
        num_levels = len(feats)
        if num_levels > len(self.roi_layers):
            raise ValueError(f'SingleRoIExtractor: got {num_levels} feature levels but '
                             f'featmap_strides has {len(self.roi_layers)}')
        roi_feats = feats[0].new_zeros(rois.size(0), self.out_channels, *out_size)
        if num_levels == 1:
            if rois.size(0) == 0:
                return roi_feats
            return self.roi_layers[0](feats[0], rois)
        target_lvls = self.map_roi_levels(rois, num_levels)
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        for i in range(num_levels):
            inds = (target_lvls == i).nonzero(as_tuple=False).squeeze(1)
            if inds.numel() > 0:
                roi_feats[inds] = self.roi_layers[i](feats[i], rois[inds]).to(roi_feats.dtype)
            else:
                # keep every level in the graph: under DDP a level no RoI used on one
                # rank would otherwise get no gradient there and the reducer would hang
                roi_feats = roi_feats + feats[i].sum() * 0.
        return roi_feats
