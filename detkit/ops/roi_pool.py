"""RoIPool (Fast R-CNN) as a function and an ``nn.Module`` (mmcv 1.x interface)."""

from __future__ import annotations

from typing import Union

import torch
from torch import Tensor, nn

from .roi_align import _check_roi_inputs, _output_hw


def roi_pool(
    input: Tensor,
    rois: Tensor,
    output_size: Union[int, tuple[int, int]],
    spatial_scale: float = 1.0,
) -> Tensor:
    """RoIPool: max over quantised bins of each roi.

    Results equal ``torchvision.ops.roi_pool``: roi corners are rounded to
    feature-map cells, bins are floored/ceiled and clipped to the map, empty
    bins give 0. (mmcv's CUDA-only RoIPool does not round the corners; its
    bins can differ by one cell.)

    Args:
        input (Tensor): (N, C, H, W) feature map.
        rois (Tensor): (n, 5) [batch_idx, x1, y1, x2, y2] in input-image pixels.
        output_size (int | tuple): (h, w) of each pooled crop.
        spatial_scale (float): feature-map size / image size.

    Returns:
        Tensor: (n, C, h, w), dtype of ``input``; differentiable w.r.t. ``input``
        (the gradient goes to the maximum of each bin).
    """
    _check_roi_inputs('roi_pool', input, rois)
    out_h, out_w = _output_hw(output_size, 'roi_pool')
    output, _ = torch.ops.detkit.roi_pool(input, rois, float(spatial_scale), out_h, out_w)
    return output


class RoIPool(nn.Module):
    """RoIPool module (``mmcv.ops.RoIPool``); see :func:`roi_pool`."""

    def __init__(
        self, output_size: Union[int, tuple[int, int]], spatial_scale: float = 1.0
    ) -> None:
        super().__init__()
        self.output_size = _output_hw(output_size, 'RoIPool')
        self.spatial_scale = float(spatial_scale)

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """input (N, C, H, W), rois (n, 5) -> (n, C, h, w)."""
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f'output_size={self.output_size}, spatial_scale={self.spatial_scale}'


def _roi_pool_setup_context(ctx, inputs, output):
    input, rois, _, _, _ = inputs
    _, argmax = output
    ctx.save_for_backward(rois, argmax)
    ctx.input_shape = input.shape


def _roi_pool_backward(ctx, grad_output, grad_argmax):
    rois, argmax = ctx.saved_tensors
    b, c, h, w = ctx.input_shape
    grad_input = torch.ops.detkit._roi_pool_backward(grad_output, rois, argmax, b, c, h, w)
    return grad_input, None, None, None, None


torch.library.register_autograd(
    'detkit::roi_pool', _roi_pool_backward, setup_context=_roi_pool_setup_context
)
