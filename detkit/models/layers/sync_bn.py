"""``revert_sync_batchnorm``: SyncBN -> plain BN, for CPU or single-process runs."""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


class _BatchNormXd(_BatchNorm):
    """A BatchNorm for any input rank (SyncBN accepts N-d inputs; BatchNorm2d only 4-d)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:  # noqa: A002 (torch's name)
        return


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``nn.SyncBatchNorm`` in ``module`` by an equivalent BatchNorm.

    Parameters, running statistics, ``training`` and ``requires_grad`` are kept,
    so state-dict keys and values do not change. MMDetection's ``tools/train.py``
    does this for CPU training (SyncBN needs a process group and CUDA).

    Returns:
        nn.Module: the converted module (a new object if ``module`` itself was SyncBN).
    """
    out = module
    if isinstance(module, nn.SyncBatchNorm):
        out = _BatchNormXd(module.num_features, module.eps, module.momentum, module.affine,
                           module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                out.weight = module.weight
                out.bias = module.bias
        out.running_mean = module.running_mean
        out.running_var = module.running_var
        out.num_batches_tracked = module.num_batches_tracked
        out.training = module.training
        if hasattr(module, 'qconfig'):
            out.qconfig = module.qconfig
    for name, child in module.named_children():
        out.add_module(name, revert_sync_batchnorm(child))
    return out
