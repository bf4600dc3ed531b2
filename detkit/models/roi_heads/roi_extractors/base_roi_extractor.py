"""``BaseRoIExtractor``: one RoI layer per feature level, and RoI rescaling."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from ....utils.suggest import did_you_mean
from ...layers import BaseModule

#: The RoI layers of ``detkit.ops`` a ``roi_layer`` config may name.
ROI_LAYER_TYPES = ('RoIAlign', 'RoIPool')


def build_roi_layer(layer_cfg: dict, spatial_scale: float) -> nn.Module:
    """Build ``detkit.ops.<type>(spatial_scale=spatial_scale, **rest)`` from ``layer_cfg``.

    Raises:
        KeyError: ``type`` is missing or is not one of :data:`ROI_LAYER_TYPES`.
    """
    from ....ops import RoIAlign, RoIPool  # the compiled extension is needed only here
    layers = dict(RoIAlign=RoIAlign, RoIPool=RoIPool)
    if not isinstance(layer_cfg, dict) or 'type' not in layer_cfg:
        raise KeyError(f'roi_layer must be a dict with a "type" (one of {", ".join(layers)}), '
                       f'but got {layer_cfg!r}')
    cfg = dict(layer_cfg)
    layer_type = cfg.pop('type')
    if layer_type not in layers:
        raise KeyError(f'roi_layer type {layer_type!r} is not a RoI layer of detkit.ops'
                       f'{did_you_mean(str(layer_type), list(layers))}; accepted types: '
                       f'{", ".join(layers)}')
    return layers[layer_type](spatial_scale=spatial_scale, **cfg)


class BaseRoIExtractor(BaseModule, metaclass=ABCMeta):
    """Pools fixed-size features for RoIs from a feature pyramid.

    Args:
        roi_layer (dict): e.g. ``dict(type='RoIAlign', output_size=7, sampling_ratio=0)``;
            one layer is built per level with ``spatial_scale = 1 / stride``.
        out_channels (int): channels of the pooled features.
        featmap_strides (list[int]): stride of each level, finest first.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self, roi_layer: dict, out_channels: int, featmap_strides: Sequence[int],
                 init_cfg: Union[dict, list, None] = None):
        super().__init__(init_cfg)
        self.roi_layers = self.build_roi_layers(roi_layer, featmap_strides)
        self.out_channels = out_channels
        self.featmap_strides = list(featmap_strides)
        self.fp16_enabled = False

    @property
    def num_inputs(self) -> int:
        """int: the number of feature levels the extractor reads."""
        return len(self.featmap_strides)

    def build_roi_layers(self, layer_cfg: dict, featmap_strides: Sequence[int]) -> nn.ModuleList:
        """One RoI layer per level, at scale ``1 / stride``."""
        return nn.ModuleList([build_roi_layer(layer_cfg, 1 / s) for s in featmap_strides])

    def roi_rescale(self, rois: Tensor, scale_factor: float) -> Tensor:
        """Scale RoIs about their centres.

        Args:
            rois (Tensor): (N, 5) [batch_ind, x1, y1, x2, y2].
            scale_factor (float): width and height are multiplied by it.

        Returns:
            Tensor: (N, 5) rescaled RoIs.
        """
        cx = (rois[:, 1] + rois[:, 3]) * 0.5
        cy = (rois[:, 2] + rois[:, 4]) * 0.5
        half_w = (rois[:, 3] - rois[:, 1]) * scale_factor * 0.5
        half_h = (rois[:, 4] - rois[:, 2]) * scale_factor * 0.5
        return torch.stack((rois[:, 0], cx - half_w, cy - half_h, cx + half_w, cy + half_h),
                           dim=-1)

    @abstractmethod
    def forward(self, feats: Sequence[Tensor], rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        """feats: per level (B, C, H_l, W_l); rois (N, 5) -> (N, C, h, w)."""
