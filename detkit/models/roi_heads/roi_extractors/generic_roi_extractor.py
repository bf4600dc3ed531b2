"""``GenericRoIExtractor``: every RoI pooled from all levels, summed or concatenated (GRoIE)."""
from __future__ import annotations

from typing import Optional, Sequence

from torch import Tensor

from ....registry import ROI_EXTRACTORS
from ...layers import build_plugin_layer
from .base_roi_extractor import BaseRoIExtractor

_AGGREGATIONS = ('sum', 'concat')


@ROI_EXTRACTORS.register_module()
class GenericRoIExtractor(BaseRoIExtractor):
    """Pool each RoI from every level (Rossi et al., 2020, "A novel Region of Interest
    Extraction Layer for Instance Segmentation").

    Args:
        aggregation (str): 'sum' adds the levels' features; 'concat' stacks them
            along channels (``out_channels`` must then be L * C).
        pre_cfg (dict, optional): plugin applied to each level's pooled features.
        post_cfg (dict, optional): plugin applied to the aggregated features.
        **kwargs: the arguments of :class:`BaseRoIExtractor`.
    """

    def __init__(self, aggregation: str = 'sum', pre_cfg: Optional[dict] = None,
                 post_cfg: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f'GenericRoIExtractor: aggregation must be one of '
                             f'{_AGGREGATIONS}, but got {aggregation!r}')
        self.aggregation = aggregation
        self.with_post = post_cfg is not None
        self.with_pre = pre_cfg is not None
        if self.with_post:
            self.post_module = build_plugin_layer(post_cfg, '_post_module')[1]
        if self.with_pre:
            self.pre_module = build_plugin_layer(pre_cfg, '_pre_module')[1]

    def forward(self, feats: Sequence[Tensor], rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        """feats: per level (B, C, H_l, W_l); rois (N, 5) -> (N, out_channels, h, w)."""
        if len(feats) == 1:
            return self.roi_layers[0](feats[0], rois)
        out_size = self.roi_layers[0].output_size
        num_levels = len(feats)
        roi_feats = feats[0].new_zeros(rois.size(0), self.out_channels, *out_size)
        if roi_feats.shape[0] == 0:
            return roi_feats
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        start = 0
        for i in range(num_levels):
            level_feats = self.roi_layers[i](feats[i], rois)
            end = start + level_feats.size(1)
            if self.with_pre:
                level_feats = self.pre_module(level_feats)
            if self.aggregation == 'sum':
                roi_feats = roi_feats + level_feats
            else:
                if end > self.out_channels:
                    raise ValueError(f'GenericRoIExtractor: concatenating {num_levels} levels '
                                     f'needs out_channels >= {end}, but it is '
                                     f'{self.out_channels}')
                roi_feats[:, start:end] = level_feats
            start = end
        if self.aggregation == 'concat' and start != self.out_channels:
            raise ValueError(f'GenericRoIExtractor: the concatenated levels have {start} '
                             f'channels but out_channels is {self.out_channels}')
        if self.with_post:
            roi_feats = self.post_module(roi_feats)
        return roi_feats
