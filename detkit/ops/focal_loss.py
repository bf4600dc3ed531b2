"""Fused sigmoid focal loss with integer labels (``mmcv.ops.sigmoid_focal_loss``)."""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

_REDUCTIONS = ('none', 'mean', 'sum')


def sigmoid_focal_loss(
    input: Tensor,
    target: Tensor,
    gamma: float = 2.0,
    alpha: float = 0.25,
    weight: Optional[Tensor] = None,
    reduction: str = 'mean',
) -> Tensor:
    """Sigmoid focal loss (Lin et al., 2017) computed in one fused kernel.

    For logit ``x`` of class ``c`` of a sample labelled ``t``, ``p = sigmoid(x)``:
    ``-alpha (1-p)^gamma log(p)`` if ``c == t``, else
    ``-(1-alpha) p^gamma log(1-p)``; logs of values below FLT_MIN are clamped,
    as in mmcv. Labels are class indices, ``C`` meaning background (no
    positive class), so no one-hot tensor is built.

    Args:
        input (Tensor): (n, C) logits.
        target (Tensor): (n,) int64 labels in [0, C].
        gamma (float): focusing parameter.
        alpha (float): weight of the positive term.
        weight (Tensor, optional): (C,) class weights; each sample's losses are
            multiplied by the weight of its label (background samples by 1).
        reduction (str): 'none' -> (n, C); 'mean' -> sum / n (mmcv divides by the
            number of samples, not of elements); 'sum'.

    Returns:
        Tensor: the loss, differentiable (once) with respect to ``input``: the
        kernel writes d(loss)/d(input) in the same pass as the loss when
        autograd needs it, and the backward pass only scales it.
    """
    if input.dim() != 2:
        raise ValueError(
            f'sigmoid_focal_loss: input must have shape (n, C), got {tuple(input.shape)}'
        )
    if target.dim() != 1 or target.size(0) != input.size(0):
        raise ValueError(
            f'sigmoid_focal_loss: target must have shape (n,) with n = {input.size(0)}, '
            f'got {tuple(target.shape)}'
        )
    if target.dtype != torch.long:
        raise TypeError(
            f'sigmoid_focal_loss: target must be int64 class labels, got {target.dtype}'
        )
    if weight is not None and (weight.dim() != 1 or weight.size(0) != input.size(1)):
        raise ValueError(
            f'sigmoid_focal_loss: weight must have shape (C,) with C = {input.size(1)}, '
            f'got {tuple(weight.shape)}'
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f'sigmoid_focal_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}'
        )
    # The kernel also produces d(loss)/d(input) when autograd will need it.
    with_grad = torch.is_grad_enabled() and input.requires_grad
    loss, _ = torch.ops.detkit.sigmoid_focal_loss(
        input, target, weight, float(gamma), float(alpha), with_grad
    )
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    if reduction == 'sum':
        return loss.sum()
    return loss


class SigmoidFocalLoss(nn.Module):
    """Module form of :func:`sigmoid_focal_loss` (``mmcv.ops.SigmoidFocalLoss``)."""

    def __init__(
        self, gamma: float, alpha: float, weight: Optional[Tensor] = None, reduction: str = 'mean'
    ) -> None:
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha
        self.register_buffer('weight', weight)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """input (n, C) logits, target (n,) int64 labels -> loss."""
        return sigmoid_focal_loss(
            input, target, self.gamma, self.alpha, self.weight, self.reduction
        )

    def extra_repr(self) -> str:
        return f'gamma={self.gamma}, alpha={self.alpha}, reduction={self.reduction}'


def _setup_context(ctx, inputs, output):
    _, grad_input = output
    ctx.save_for_backward(grad_input)


def _backward(ctx, grad_output, _grad_of_grad_input):
    (grad_input,) = ctx.saved_tensors
    if grad_input.shape != grad_output.shape:
        raise RuntimeError(
            'detkit::sigmoid_focal_loss was called with with_grad=False on an input that '
            'requires grad; call detkit.ops.sigmoid_focal_loss (or pass with_grad=True)'
        )
    return grad_output * grad_input, None, None, None, None, None


torch.library.register_autograd(
    'detkit::sigmoid_focal_loss', _backward, setup_context=_setup_context
)
