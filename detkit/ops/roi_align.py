"""RoIAlign (Mask R-CNN) as a function and an ``nn.Module`` (mmcv 1.x interface)."""

from __future__ import annotations

from typing import Union

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

_POOL_MODES = ('avg', 'max')


def _output_hw(output_size: Union[int, tuple[int, int]], op: str) -> tuple[int, int]:
    h, w = _pair(output_size)
    if not (isinstance(h, int) and isinstance(w, int)) or h <= 0 or w <= 0:
        raise ValueError(f'{op}: output_size must be a positive int or (h, w), got {output_size!r}')
    return h, w


def _check_roi_inputs(op: str, input: Tensor, rois: Tensor) -> None:
    if input.dim() != 4:
        raise ValueError(f'{op}: input must have shape (N, C, H, W), got {tuple(input.shape)}')
    if rois.dim() != 2 or rois.size(1) != 5:
        raise ValueError(
            f'{op}: rois must have shape (n, 5) [batch_idx, x1, y1, x2, y2], '
            f'got {tuple(rois.shape)}'
        )


def roi_align(
    input: Tensor,
    rois: Tensor,
    output_size: Union[int, tuple[int, int]],
    spatial_scale: float = 1.0,
    sampling_ratio: int = 0,
    pool_mode: str = 'avg',
    aligned: bool = True,
) -> Tensor:
    """RoIAlign: bilinear crops of a feature map, pooled to a fixed size.

    Same results as ``mmcv.ops.roi_align`` and, for ``pool_mode='avg'``,
    ``torchvision.ops.roi_align``.

    Args:
        input (Tensor): (N, C, H, W) feature map.
        rois (Tensor): (n, 5) [batch_idx, x1, y1, x2, y2] in input-image pixels.
        output_size (int | tuple): (h, w) of each pooled crop.
        spatial_scale (float): feature-map size / image size (e.g. 1/16).
        sampling_ratio (int): samples per bin in each direction; 0 takes
            ``ceil(roi size / output size)`` (adaptive).
        pool_mode (str): 'avg' averages the samples of a bin, 'max' takes the
            largest one (a bin without samples gives 0).
        aligned (bool): shift rois by -0.5 px so that pixel centres are sampled
            (Detectron2's correction); False keeps the legacy behaviour, where
            rois are also at least 1x1 on the map.

    Returns:
        Tensor: (n, C, h, w), dtype of ``input`` (fp16/bf16 computed in fp32).
        Differentiable with respect to ``input``.
    """
    _check_roi_inputs('roi_align', input, rois)
    if pool_mode not in _POOL_MODES:
        raise ValueError(f'roi_align: pool_mode must be one of {_POOL_MODES}, got {pool_mode!r}')
    out_h, out_w = _output_hw(output_size, 'roi_align')
    output, _, _ = torch.ops.detkit.roi_align(
        input,
        rois,
        float(spatial_scale),
        out_h,
        out_w,
        int(sampling_ratio),
        bool(aligned),
        pool_mode == 'max',
    )
    return output


class RoIAlign(nn.Module):
    """RoIAlign module (``mmcv.ops.RoIAlign``); see :func:`roi_align`.

    ``use_torchvision`` is accepted for mmcv config compatibility; both values
    give the same results here (detkit's kernel matches torchvision's).
    """

    def __init__(
        self,
        output_size: Union[int, tuple[int, int]],
        spatial_scale: float = 1.0,
        sampling_ratio: int = 0,
        pool_mode: str = 'avg',
        aligned: bool = True,
        use_torchvision: bool = False,
    ) -> None:
        super().__init__()
        if pool_mode not in _POOL_MODES:
            raise ValueError(f'RoIAlign: pool_mode must be one of {_POOL_MODES}, got {pool_mode!r}')
        self.output_size = _output_hw(output_size, 'RoIAlign')
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.pool_mode = pool_mode
        self.aligned = aligned
        self.use_torchvision = use_torchvision

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """input (N, C, H, W), rois (n, 5) -> (n, C, h, w)."""
        return roi_align(
            input,
            rois,
            self.output_size,
            self.spatial_scale,
            self.sampling_ratio,
            self.pool_mode,
            self.aligned,
        )

    def extra_repr(self) -> str:
        return (
            f'output_size={self.output_size}, spatial_scale={self.spatial_scale}, '
            f'sampling_ratio={self.sampling_ratio}, pool_mode={self.pool_mode}, '
            f'aligned={self.aligned}, use_torchvision={self.use_torchvision}'
        )


def _roi_align_setup_context(ctx, inputs, output):
    input, rois, spatial_scale, out_h, out_w, sampling_ratio, aligned, max_mode = inputs
    _, argmax_y, argmax_x = output
    ctx.save_for_backward(rois, argmax_y, argmax_x)
    ctx.params = (spatial_scale, out_h, out_w, sampling_ratio, aligned, max_mode)
    ctx.input_shape = input.shape


def _roi_align_backward(ctx, grad_output, grad_argmax_y, grad_argmax_x):
    rois, argmax_y, argmax_x = ctx.saved_tensors
    b, c, h, w = ctx.input_shape
    grad_input = torch.ops.detkit._roi_align_backward(
        grad_output, rois, argmax_y, argmax_x, *ctx.params, b, c, h, w
    )
    return grad_input, None, None, None, None, None, None, None


torch.library.register_autograd(
    'detkit::roi_align', _roi_align_backward, setup_context=_roi_align_setup_context
)
